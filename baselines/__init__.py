"""The strongest non-deep pipeline of ILSVRC 2010-2012, beside AlexNet.

Dense SIFT (and optionally local colour statistics) -> PCA to 64 -> diagonal
GMM -> improved Fisher vectors (optionally with a spatial pyramid) -> one-vs-rest
linear SVMs (Sánchez & Perronnin 2011; Perronnin et al. 2010; Chatfield et al.
2011), on exactly the images and splits the CNN sees (alexnet.data), written
as the same run records (alexnet.records).

    python -m baselines.run --config experiments/fv_imagenette.py [key=value ...]

Modules, one concern each:
  defaults      every config key with its default (the plain K=256 pipeline), and its rules
  descriptors   dense multi-scale SIFT (VLFeat) and colour statistics
  fisher        the Fisher-vector encoding in float32 BLAS (and VLFeat's, for checks)
  gmm           EM for the diagonal GMM, reusing fisher's matrix products
  encoder       PCA + GMM per descriptor type; image -> vector
  encode_cache  the on-disk shards of vectors: writing, resuming, streaming
  extract       fitting on a sample, and parallel encoding of whole splits
  classifier    SGD hinge OvR SVMs over the shards; penalty chosen on held-out data
  run           the command: config -> run record
  variants      a baseline config's variants for side studies (the ablation)
Each module's docstring states where it departs from the published pipelines.
"""
