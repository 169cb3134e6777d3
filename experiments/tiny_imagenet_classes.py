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
experiments/fv_tiny_imagenet.py), whose runs are the 200-class point, with
what a smaller training set changes:
- CNN: epochs = base / sqrt(N / 200), capped at `max_epochs`, warm-up the same
  share of the run: the data-scaling rule of experiments/scaling.py (fewer
  images need more passes but fewer steps in all). With the 14-epoch recipe:
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
    }
