"""Looking inside a network: which parts of the input make it decide as it does.

Every method explains one class score y_c (the logit, before the softmax) of
each example in a batch and returns a NumPy map of the input's spatial shape
((N, H, W) for images, the channels summed; (N, D) for vectors):

- ``saliency``: d y_c / d x_j (or its square), the lecture's heat map; for a
  linear model y = W x + b it is the weight row w_c.
- ``gradient_x_input``: x_j d y_c / d x_j.
- ``integrated_gradients``: (x_j - x'_j) times the gradient averaged on the
  straight path from a baseline x' to x; the map sums to y_c(x) - y_c(x').
- ``lrp``: Layer-wise Relevance Propagation; the relevance is passed back layer
  by layer and conserved: the map sums to y_c.
- ``grad_cam``: the feature maps of a convolutional layer weighted by their
  mean gradient, rectified and upsampled to the input.

``plot`` draws a map over its image.
"""
from backprop.explain.grad_cam import grad_cam
from backprop.explain.gradients import gradient_x_input, integrated_gradients, saliency
from backprop.explain.lrp import lrp
from backprop.explain.plotting import plot

__all__ = ["saliency", "gradient_x_input", "integrated_gradients", "lrp", "grad_cam", "plot"]
