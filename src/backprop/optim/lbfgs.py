"""L-BFGS: a quasi-Newton method; the curvature comes from the last few steps and gradient changes.

Full-batch optimisation of smooth functions (a small network on all the
data, a curve fit, style transfer's image): each ``step(closure)`` runs up to
``max_iter`` iterations, calling ``closure()`` (which recomputes the loss and
its gradients) once per iteration, or several times with a line search.
"""
from backprop import autograd, backend
from backprop.optim.optimizer import Optimizer, _check_at_least
from backprop.tensor import Tensor

__all__ = ["LBFGS"]


def _cubic_minimum(x1, f1, g1, x2, f2, g2, bounds=None):
    """The minimiser of the cubic through (x1, f1) and (x2, f2) with slopes g1, g2, clipped to ``bounds``
    (default: between x1 and x2); the bounds' midpoint when the cubic has no minimum."""
    low, high = bounds if bounds is not None else (min(x1, x2), max(x1, x2))
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1 ** 2 - g1 * g2
    if d2_square < 0:
        return (low + high) / 2.0
    d2 = backend.array_module(d2_square).sqrt(d2_square)
    if x1 <= x2:
        minimum = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
    else:
        minimum = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
    return min(max(minimum, low), high)


def _strong_wolfe(evaluate, t, d, f, g, gtd, c1=1e-4, c2=0.9, tolerance_change=1e-9, max_ls=25):
    """A step length t along d satisfying the strong Wolfe conditions (Nocedal and Wright, algorithms 3.5/3.6):

        sufficient decrease  f(x + t d) <= f + c1 t g.d,     curvature  |g(x + t d).d| <= c2 |g.d|

    First bracket an interval (growing t by cubic extrapolation), then zoom into
    it by cubic interpolation. ``evaluate(t)`` returns (loss, flat gradient) at
    x + t d. Returns (loss, gradient, t, evaluations).
    """
    d_norm = abs(d).max()
    f_new, g_new = evaluate(t)
    evaluations = 1
    gtd_new = g_new.dot(d)
    t_prev, f_prev, g_prev, gtd_prev = 0, f, g, gtd
    done = False
    iteration = 0
    while iteration < max_ls:  # bracketing phase
        if f_new > (f + c1 * t * gtd) or (iteration > 1 and f_new >= f_prev):
            bracket, bracket_f, bracket_g, bracket_gtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], \
                [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -c2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f, bracket_g, bracket_gtd = [t_prev, t], [f_prev, f_new], [g_prev, g_new], \
                [gtd_prev, gtd_new]
            break
        t_next = _cubic_minimum(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                                bounds=(t + 0.01 * (t - t_prev), t * 10))
        t_prev, f_prev, g_prev, gtd_prev = t, f_new, g_new, gtd_new
        t = t_next
        f_new, g_new = evaluate(t)
        evaluations += 1
        gtd_new = g_new.dot(d)
        iteration += 1
    if iteration == max_ls:
        bracket, bracket_f, bracket_g = [0, t], [f, f_new], [g, g_new]

    insufficient_progress = False
    low, high = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and iteration < max_ls:  # zoom phase
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_minimum(bracket[0], bracket_f[0], bracket_gtd[0], bracket[1], bracket_f[1], bracket_gtd[1])
        # a point too near an end of the bracket makes little progress: move it 10% of the width inside
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insufficient_progress or t >= max(bracket) or t <= min(bracket):
                t = max(bracket) - eps if abs(t - max(bracket)) < abs(t - min(bracket)) else min(bracket) + eps
                insufficient_progress = False
            else:
                insufficient_progress = True
        else:
            insufficient_progress = False
        f_new, g_new = evaluate(t)
        evaluations += 1
        gtd_new = g_new.dot(d)
        iteration += 1
        if f_new > (f + c1 * t * gtd) or f_new >= bracket_f[low]:
            bracket[high], bracket_f[high], bracket_g[high], bracket_gtd[high] = t, f_new, g_new, gtd_new
            low, high = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -c2 * gtd:
                done = True
            elif gtd_new * (bracket[high] - bracket[low]) >= 0:
                bracket[high], bracket_f[high] = bracket[low], bracket_f[low]
                bracket_g[high], bracket_gtd[high] = bracket_g[low], bracket_gtd[low]
            bracket[low], bracket_f[low], bracket_g[low], bracket_gtd[low] = t, f_new, g_new, gtd_new
    return bracket_f[low], bracket_g[low], bracket[low], evaluations


class LBFGS(Optimizer):
    """Limited-memory BFGS (Nocedal 1980; Liu and Nocedal 1989), iterate for iterate as torch's.

    Each iteration turns the gradient g into a direction d = -H g, H the
    inverse-Hessian estimate built by the two-loop recursion from the last
    ``history_size`` pairs s = x_{k+1} - x_k, y = g_{k+1} - g_k (pairs with
    y.s <= 1e-10 are skipped), starting from H_0 = (y.s / y.y) I. The step is
    x <- x + t d with t = ``lr`` (min(1, 1/|g|_1) lr at the very first
    iteration), or with ``line_search_fn="strong_wolfe"`` a t found by a
    strong-Wolfe line search. A ``step(closure)`` stops after ``max_iter``
    iterations, ``max_eval`` closure calls (default max_iter * 5 // 4), when
    max|g| <= ``tolerance_grad``, or when the step or the loss change is
    below ``tolerance_change``. One parameter group only.

    >>> import backprop as bp
    >>> w = bp.nn.Parameter(bp.tensor([3.0, -2.0]))
    >>> opt = LBFGS([w], line_search_fn="strong_wolfe")
    >>> def closure():
    ...     opt.zero_grad()
    ...     loss = ((w - bp.tensor([1.0, 2.0])) ** 2).sum()
    ...     loss.backward()
    ...     return loss
    >>> _ = opt.step(closure)
    >>> w.detach(), opt.state[w]["func_evals"]  # a quadratic: the minimum after a few closure calls
    (tensor([1.0000, 2.0000]), 3)
    """

    def __init__(self, params, lr=1, max_iter=20, max_eval=None, tolerance_grad=1e-7, tolerance_change=1e-9,
                 history_size=100, line_search_fn=None):
        if max_eval is None:
            max_eval = max_iter * 5 // 4
        defaults = dict(lr=lr, max_iter=max_iter, max_eval=max_eval, tolerance_grad=tolerance_grad,
                        tolerance_change=tolerance_change, history_size=history_size, line_search_fn=line_search_fn)
        super().__init__(params, defaults)
        if len(self.param_groups) != 1:
            raise ValueError("LBFGS doesn't support per-parameter options (parameter groups)")
        self._params = self.param_groups[0]["params"]

    def _check_group(self, group):
        _check_at_least(self, group, "lr")

    # ------------------------------------------------- flat views of the parameters
    def _xp(self):
        return backend.array_module(self._params[0]._data)

    def _flat_grad(self):
        xp = self._xp()
        return xp.concatenate([xp.zeros(p._data.size, dtype=p._data.dtype) if p.grad is None
                               else p.grad._data.reshape(-1) for p in self._params])

    def _move(self, t, direction):
        """x <- x + t d, d flat over all the parameters."""
        offset = 0
        for p in self._params:
            size = p._data.size
            p._data += t * direction[offset:offset + size].reshape(p._data.shape)
            p._version[0] += 1
            offset += size

    def _set(self, arrays):
        for p, array in zip(self._params, arrays):
            p._data[...] = array
            p._version[0] += 1

    def _load_state_value(self, value, param, name, index):
        """torch keeps flat vectors and lists of them: cast each to the parameters' dtype, keep the shapes."""
        if isinstance(value, (list, tuple)):
            return [self._load_state_value(v, param, name, index) for v in value]
        if isinstance(value, Tensor):
            value = value._data
        if not backend.is_array(value):
            return value
        value = backend.to_device(value, param.device)
        dtype = param._data.dtype if value.dtype.kind == "f" else value.dtype
        return Tensor._make(value.astype(dtype, copy=True))

    # ----------------------------------------------------------------------- step
    def step(self, closure):
        """Up to ``max_iter`` L-BFGS iterations; ``closure()`` must zero the gradients, compute the loss, call
        ``backward()`` and return the loss. Returns the loss of the first evaluation."""
        group = self.param_groups[0]
        lr, max_iter, max_eval = group["lr"], group["max_iter"], group["max_eval"]
        tolerance_grad, tolerance_change = group["tolerance_grad"], group["tolerance_change"]
        line_search_fn, history_size = group["line_search_fn"], group["history_size"]

        def evaluate():
            with autograd.enable_grad():
                return closure()

        state = self.state[self._params[0]]
        state.setdefault("func_evals", 0)
        state.setdefault("n_iter", 0)
        with autograd.no_grad():
            original_loss = evaluate()
            loss = float(original_loss)
            evaluations = 1
            state["func_evals"] += 1
            flat_grad = self._flat_grad()
            if abs(flat_grad).max() <= tolerance_grad:  # already at an optimum
                return original_loss

            raw = _raw  # the state as arrays (it holds Tensors between steps, as torch's)
            d, t, H_diag = raw(state.get("d")), raw(state.get("t")), raw(state.get("H_diag"))
            old_dirs, old_steps, ro = raw(state.get("old_dirs")), raw(state.get("old_stps")), raw(state.get("ro"))
            prev_flat_grad, prev_loss = raw(state.get("prev_flat_grad")), state.get("prev_loss")
            iteration = 0
            while iteration < max_iter:
                iteration += 1
                state["n_iter"] += 1
                if state["n_iter"] == 1:
                    d = -flat_grad
                    old_dirs, old_steps, ro, H_diag = [], [], [], 1
                else:
                    y = flat_grad - prev_flat_grad
                    s = d * t
                    ys = y.dot(s)
                    if ys > 1e-10:  # keep the pair only where the curvature is positive
                        if len(old_dirs) == history_size:
                            old_dirs.pop(0)
                            old_steps.pop(0)
                            ro.pop(0)
                        old_dirs.append(y)
                        old_steps.append(s)
                        ro.append(1.0 / ys)
                        H_diag = ys / y.dot(y)
                    d = self._two_loop(state, flat_grad, old_dirs, old_steps, ro, H_diag, history_size)
                prev_flat_grad = flat_grad.copy()
                prev_loss = loss
                t = min(1.0, 1.0 / abs(flat_grad).sum()) * lr if state["n_iter"] == 1 else lr
                gtd = flat_grad.dot(d)
                if gtd > -tolerance_change:  # not a descent direction
                    break

                if line_search_fn is not None:
                    if line_search_fn != "strong_wolfe":
                        raise RuntimeError(f"LBFGS: only 'strong_wolfe' is supported as line_search_fn, "
                                           f"got {line_search_fn!r}")
                    start = [p._data.copy() for p in self._params]

                    def along(step_length):
                        self._move(step_length, d)
                        value = float(evaluate())
                        gradient = self._flat_grad()
                        self._set(start)
                        return value, gradient

                    loss, flat_grad, t, line_evaluations = _strong_wolfe(
                        along, t, d, loss, flat_grad, gtd, tolerance_change=tolerance_change,
                        max_ls=max_eval - evaluations)
                    self._move(t, d)
                    optimal = abs(flat_grad).max() <= tolerance_grad
                else:
                    self._move(t, d)
                    line_evaluations = 0
                    if iteration != max_iter:  # the last iteration's loss is left for the next step to compute
                        loss = float(evaluate())
                        flat_grad = self._flat_grad()
                        optimal = abs(flat_grad).max() <= tolerance_grad
                        line_evaluations = 1
                evaluations += line_evaluations
                state["func_evals"] += line_evaluations

                if iteration == max_iter or evaluations >= max_eval or optimal:
                    break
                if abs(d * t).max() <= tolerance_change or abs(loss - prev_loss) < tolerance_change:
                    break

            wrap = _wrapper(self._xp())
            state.update(d=wrap(d), t=wrap(t), old_dirs=wrap(old_dirs), old_stps=wrap(old_steps), ro=wrap(ro),
                         H_diag=wrap(H_diag), prev_flat_grad=wrap(prev_flat_grad), prev_loss=prev_loss)
        return original_loss

    def _two_loop(self, state, flat_grad, old_dirs, old_steps, ro, H_diag, history_size):
        """d = -H g by the two-loop recursion (Nocedal and Wright, algorithm 7.4)."""
        al = state.get("al")
        al = [None] * history_size if al is None else _raw(al)
        q = -flat_grad
        for i in range(len(old_dirs) - 1, -1, -1):
            al[i] = old_steps[i].dot(q) * ro[i]
            q -= al[i] * old_dirs[i]
        r = q * H_diag
        for i in range(len(old_dirs)):
            be_i = old_dirs[i].dot(r) * ro[i]
            r += (al[i] - be_i) * old_steps[i]
        state["al"] = _wrapper(self._xp())(al)
        return r


def _raw(value):
    """State values as arrays: Tensors unwrapped, lists element by element."""
    if isinstance(value, list):
        return [_raw(v) for v in value]
    return value._data if isinstance(value, Tensor) else value


def _wrapper(xp):
    def wrap(value):
        if isinstance(value, list):
            return [wrap(v) for v in value]
        if value is None or isinstance(value, (int, float)) and not hasattr(value, "dtype"):
            return value
        return Tensor._make(xp.asarray(value))
    return wrap
