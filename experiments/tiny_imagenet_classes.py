"""The classes axis: does the CNN's lead grow with the number of classes at fixed images per class?

    make reproduce-tiny-imagenet-classes      # python -m drivers.classes: run what is missing, report
    python -m drivers.classes --dry-run       # the plan: which runs are finished, which are left
    python -m reporting.classes               # table and figure again, from the records alone

The README explains the CNN's loss on Imagenette (10 classes) by ImageNet's
breadth. This measures it: both models on nested subsets of Tiny
ImageNet-200's classes, 10, 50 and 200, each with all 500 training images of
its classes (450 trained on, 50 held out for every choice) and evaluated on
the 50 val images of each of its classes. The subsets are the first N of one
fixed permutation of the 200 (`alexnet.data.tiny_imagenet.class_subset`,
dataset name 'tiny_imagenet:N'), so the 10 are among the 50.

Both models run their 200-class recipe (experiments/tiny_imagenet_alexnet.py,
experiments/fv_tiny_imagenet.py) with what a smaller training set changes;
the CNN's recipe is the first, 14-epoch one (`cnn_overrides`; its 200-class
run 20261203T132835Z-...-723873bc, 64.12% top-1, is the 200-class point; the
28-epoch headline run, 56.05%, is not), the Fisher vectors' run is the
headline's:
- CNN: epochs = base / sqrt(N / 200), capped at `max_epochs`, warm-up the same
  share of the run: the data-scaling rule of experiments/scaling.py (fewer
  images need more passes but fewer steps in all). With 14 epochs at 200:
  10 classes, 63 epochs of 4,500 images, about 30 minutes on 2 cores; 50
  classes, 28 epochs of 22,500, about 70 minutes.
- Fisher vectors: the PCA and GMM are fitted on the subset's own training
  images, and the SVM penalty is searched on all of its non-held-out images
  (`svm_select_fraction` 1; the 200-class run searches on 30% for time).

Outputs: results/tiny_imagenet/classes.{csv,md} (top-1 and top-5 of both
models and the CNN's lead per number of classes), the figure
results/tiny_imagenet/figures/classes.png, and the subset runs' records in
results/tiny_imagenet_classes/records/.
"""


def get_config() -> dict:
    return {
        "classes": [10, 50, 200],
        "cnn": "tiny_imagenet_alexnet.py",
        "fv": "fv_tiny_imagenet.py",
        "max_epochs": 100,
        # The axis was run with the first, 14-epoch recipe (He-initialised fc8) at
        # every number of classes; it stays on that recipe, one recipe for all three
        # points, until its 10- and 50-class runs are repeated with the 28-epoch one.
        "cnn_overrides": {"epochs": 14, "fc8_std": None},
    }
