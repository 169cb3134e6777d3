"""AlexNet (Krizhevsky, Sutskever & Hinton, NIPS 2012) in Keras 3 on TensorFlow, and
everything needed to train and evaluate it at three scales.

    python -m alexnet.train --config experiments/cifar10_convnet.py [key=value ...]
    python -m alexnet.evaluate runs/<run-id>
    python -m alexnet.ensemble --config experiments/cifar10_ensemble.py
    python -m alexnet.predict runs/<run-id> photo.jpg [--ten-crop]

The network and its trainer, one concern per module:
  model       the networks (alexnet2012 two towers, alexnet2014, the small-image nets)
  layers      local response normalisation, the two-tower block
  flops       FLOPs per image counted from a network's layers (the bench's utilisation)
  defaults    every config key of the trainer with the paper's value, and its rules
  inputs      what the trainer reads: sources, held-out split, pipelines by config
  optim       SGD with momentum and coupled weight decay; the learning-rate schedules
  distribute  strategies (one device, mirrored, multi-worker, TPU), precision, towers
  trainer     the Trainer: model, optimiser, schedule, checkpoint, the training step
  loop        the epoch loop: steps, held-out evaluation, metrics, checkpoints
  monitor     the stuck-at-chance guard and the checkpoint timer
  train       the command: check the config, set up the run, train, evaluate once
  evaluate    centre and ten-crop evaluation of a model or a run folder
  ensemble    several runs' softmax outputs averaged (the paper's "5 CNNs" row)
  probe       a trained network's frozen features + a linear classifier on another dataset
  predict     classify image files with a trained run (top-k names, CSV)
  export      a run as .keras and as a SavedModel serving encoded images
  torchvision_weights  torchvision's ImageNet AlexNet weights as an alexnet2014 run
  class_names readable names for wnid labels (Imagenette's ten)

Shared infrastructure, which baselines/, drivers/ and reporting/ use too:
  config      loading config files, overrides, the checking mechanism
  records     the files in a run folder: config, provenance, metrics, eval
  run_folder  run folders: create, resume, lock, log, finish
  cli         how every command ends: 0, or one line `error: ...`
  data/       image sources and the paper's train/eval transforms in tf.data

Nothing here imports experiments/ (configs) or drivers/.
"""
