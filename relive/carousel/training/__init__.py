"""Training the CAROUSEL fusion network: data, the run, and its evaluation (never imported by the app).

- ``scenes``    procedurally rendered festival scenes with lit people, person silhouettes, gallery backgrounds;
- ``perturb``   appearance changes inside a mask (the avatar must look *off* relative to its scene) and the gap
                measure that drops near-no-op pairs;
- ``collage``   photos (folders, ``.zip``) or rendered scenes → collages ``[ground truth | clean background |
                avatar | mask]`` + ``manifest.csv`` (``relive collage``);
- ``dataset``   ``AvatarFusionDataset``: collages → 7-channel input, target and mask tensors, with re-perturbation,
                paired augmentation and person-biased crops;
- ``config``    ``TrainConfig`` (every knob of a run) and ``TrainResult``;
- ``views``     what the model trains on: close-ups, retoning, softened perturbations, balanced sampling, loaders;
- ``losses``    the harmonisation loss (masked MSE + perceptual term);
- ``trainer``   the run: optimiser, schedule, checkpoints, resume, validation, time budget (``relive train``);
- ``metrics``, ``baselines``, ``evaluate``: PSNR / SSIM / MSE / fMSE for copy-paste, Reinhard, Poisson and the
                model on the validation split and on held-out real photos of people (``relive evaluate``).
"""
