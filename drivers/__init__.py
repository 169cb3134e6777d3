"""Drivers: commands that run several trainings and write results.

  reproduce          one scale end to end: CNN, Fisher vectors, tables, figures
                     (make reproduce, reproduce-cifar10, reproduce-imagenet)
  scaling            the data-scaling grid of experiments/scaling.py (make reproduce-scaling)
  baseline_ablation  the Fisher-vector study of experiments/baseline_ablation.py
                     (make reproduce-baseline-ablation)
  classes            Tiny ImageNet's classes axis (make reproduce-tiny-imagenet-classes)
  transfer           the Tiny-ImageNet network's features on Imagenette (make reproduce-transfer)
  ablations          the paper's design claims on CIFAR-10 (make reproduce-ablations)
  smoke              both models on a CIFAR-10 slice in minutes (make smoke)
  preflight          what a driver's stages need, checked before the first starts
  study              the command line shared by the study drivers (classes, transfer, ablations)

Drivers read configs from experiments/ through `alexnet.config.load_config`
and call the library (alexnet, baselines, reporting); nothing in the library
imports a driver.
"""
