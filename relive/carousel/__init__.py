"""CAROUSEL: an avatar fused into a festival background by a trained harmonisation network.

Data side (this package's first half):

- ``perturb``   appearance changes inside a mask (the avatar must look *off* relative to its scene) and the gap
                measure that drops near-no-op pairs;
- ``scenes``    procedurally rendered festival scenes with lit people, and person-shaped silhouettes;
- ``backgrounds`` the gallery of festival backgrounds drawn from those scenes (``assets/backgrounds``);
- ``collage``   photos (folders, ``.zip``) or synthetic sources → collages ``[ground truth | clean background |
                avatar | mask]`` + ``manifest.csv`` (``relive collage``);
- ``dataset``   ``AvatarFusionDataset``: collages → 7-channel input, target and mask tensors, with re-perturbation,
                paired augmentation and person-biased crops;
- ``metrics``, ``baselines``, ``evaluate``: PSNR / SSIM / MSE / fMSE for copy-paste, Reinhard, Poisson and the
                model on the validation split and on held-out real photos of people.

Model side: ``model``, ``losses``, ``train``, ``fuse``. Nothing heavy is imported by ``import relive.carousel``.
"""
