"""CAROUSEL: an avatar fused into a festival background by a trained harmonisation network.

What the app runs (this package):

- ``fuse``        placement of a cut-out in a scene and the network's harmonisation at full resolution;
- ``backgrounds`` the gallery of festival backgrounds (``assets/backgrounds``);
- ``album``       a memory album: one cut-out fused into several backgrounds.

The fusion networks themselves live in :mod:`relive.backends.fusion`. What only training needs lives in
:mod:`relive.carousel.training`; the app never imports it.
Nothing heavy is imported by ``import relive.carousel``.
"""
