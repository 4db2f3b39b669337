"""Function approximation in reinforcement learning: a table of Q-values where it fits, a network where it does not.

The lecture (Applications): "when the state-action table no longer fits, a
network maps a state (or state-action) to its value". Q-learning keeps one
entry Q(s, a) per state and action and moves it towards a target,

    Q(s, a) <- Q(s, a) + alpha (r + gamma max_a' Q(s', a') - Q(s, a)),

which needs S x A numbers: FrozenLake's 16 x 4 = 64, Taxi's 500 x 6 = 3000.
CartPole's state (cart position and velocity, pole angle and angular
velocity) is a vector of four real numbers: infinitely many states, no
table, unless the state space is cut into boxes first (a discretised table,
whose boxes lump together states that may need different actions). DQN replaces
the table by a network Q(s, .; theta) with one output per action, trained on
the same target computed by a lagging copy theta^- (the target network):

    loss = Huber(r + gamma (1 - done) max_a' Q(s', a'; theta^-) - Q(s, a; theta)),

over mini-batches drawn from a replay buffer of past transitions. On the
discrete environments the network sees the state as a one-hot vector, so it
could in principle represent any table; on CartPole it sees the four numbers.

What is compared is the greedy policy's return (epsilon = 0) against the
best achievable within the environment's time limit. For the discrete
environments that best is computed, not quoted: finite-horizon value
iteration on the environment's own transition model P(s', r | s, a),

    V_0(s) = 0,   V_k(s) = max_a sum_{s', r} P(s', r | s, a) (r + [s' not terminal] V_{k-1}(s')),

gives V_H, the largest expected return of any policy in H steps (H = 100 for
FrozenLake, about 74% success; H = 200 for Taxi, about 8), averaged over the
start states. The same recursion with a fixed policy pi instead of the max
gives a learnt greedy policy's expected return exactly (no sampling error).
"""
import math
import time

import numpy

import backprop as bp
from backprop import autograd, models, rl
from backprop.experiments.registry import experiment
from backprop.rl.run import moving_average

FROZEN_LAKE, TAXI, CART_POLE = "FrozenLake-v1", "Taxi-v4", "CartPole-v1"
# gymnasium 1.4 refuses Taxi-v3 as deprecated; v4 (its defaults: no rain, no fickle passenger) is the same task
OPTIONS = {FROZEN_LAKE: {"is_slippery": True, "map_name": "4x4"}, TAXI: {}, CART_POLE: {}}
SOLVED_CART_POLE = 500.0  # CartPole-v1 ends after 500 steps with +1 per step


# ---- the environments' model: the best return and a policy's return, exactly ----

def model_arrays(transitions, n_states, n_actions):
    """gymnasium's toy-text model ``P[s][a] = [(p, s', r, terminated), ...]`` as arrays (T, R):
    T[s, a, s'] the probability of going on in s' (terminal s' left out: nothing follows them),
    R[s, a] = sum p r the expected reward of one step."""
    T = numpy.zeros((n_states, n_actions, n_states))
    R = numpy.zeros((n_states, n_actions))
    for s in range(n_states):
        for a in range(n_actions):
            for p, s2, r, terminated in transitions[s][a]:
                R[s, a] += p * r
                if not terminated:
                    T[s, a, s2] += p
    return T, R


def _check_model(T, R, start, horizon):
    if T.ndim != 3 or T.shape[:2] != R.shape or T.shape[0] != T.shape[2] or start.shape != (T.shape[0],):
        raise ValueError(f"expected T (S, A, S), R (S, A) and start (S,), got {tuple(T.shape)}, {tuple(R.shape)}, {tuple(start.shape)}")
    if not isinstance(horizon, int) or horizon < 0:
        raise ValueError(f"expected a horizon (number of steps) >= 0, got {horizon!r}")


def best_return(T, R, start, horizon):
    """max over all policies of the expected return in ``horizon`` steps from the start distribution ``start``:
    finite-horizon value iteration V_k = max_a (R + T V_{k-1}), V_0 = 0."""
    T, R, start = (numpy.asarray(a, dtype=float) for a in (T, R, start))
    _check_model(T, R, start, horizon)
    V = numpy.zeros(T.shape[0])
    for _ in range(horizon):
        V = (R + T @ V).max(axis=1)
    return float(start @ V)


def policy_return(T, R, start, horizon, policy):
    """The expected return in ``horizon`` steps of the stationary policy ``policy`` (S, A), rows the probabilities
    pi(a | s): V_k = sum_a pi(a | s) (R + T V_{k-1}), V_0 = 0, averaged over ``start``."""
    T, R, start, policy = (numpy.asarray(a, dtype=float) for a in (T, R, start, policy))
    _check_model(T, R, start, horizon)
    if policy.shape != R.shape or not numpy.allclose(policy.sum(axis=1), 1.0) or (policy < 0).any():
        raise ValueError(f"expected a policy of shape {tuple(R.shape)} whose rows are probabilities, got shape "
                         f"{tuple(policy.shape)}")
    V = numpy.zeros(T.shape[0])
    for _ in range(horizon):
        V = (policy * (R + T @ V)).sum(axis=1)
    return float(start @ V)


def greedy_policy(q):
    """The greedy policy of Q-values ``q`` (S, A) as probabilities: uniform over the actions of largest value in
    each state (the tabular agents break ties at random: an unvisited state's row of zeros is a uniform choice)."""
    q = numpy.asarray(q, dtype=float)
    best = q == q.max(axis=1, keepdims=True)
    return best / best.sum(axis=1, keepdims=True)


def environment_model(env):
    """(T, R, start distribution, time limit H) of a gymnasium toy-text environment (FrozenLake, Taxi)."""
    inner = env.unwrapped
    T, R = model_arrays(inner.P, int(inner.observation_space.n), int(inner.action_space.n))
    return T, R, numpy.asarray(inner.initial_state_distrib, dtype=float), int(env.spec.max_episode_steps)


# ---- CartPole for a table: boxes ----

class Boxes:
    """Cut a continuous observation into boxes: per component i the thresholds ``edges[i]`` (increasing) split the
    real line into len(edges[i]) + 1 intervals; the state is the index of the box, in row-major order.

    >>> Boxes([[0.0], [-1.0, 1.0]])(numpy.array([0.5, -2.0]))   # component 0 in box 1 of 2, component 1 in box 0 of 3
    3
    """

    def __init__(self, edges):
        self.edges = [numpy.asarray(e, dtype=float) for e in edges]
        for i, e in enumerate(self.edges):
            if e.ndim != 1 or (numpy.diff(e) <= 0).any():
                raise ValueError(f"Boxes: the thresholds of component {i} must be an increasing list, got {e.tolist()}")
        self.shape = tuple(len(e) + 1 for e in self.edges)
        self.n_states = math.prod(self.shape)

    def __call__(self, observation):
        observation = numpy.asarray(observation, dtype=float).reshape(-1)
        if observation.shape != (len(self.edges),):
            raise ValueError(f"Boxes: expected an observation of {len(self.edges)} numbers, got shape "
                             f"{tuple(observation.shape)}")
        index = tuple(int(numpy.searchsorted(e, x, side="right")) for e, x in zip(self.edges, observation))
        return int(numpy.ravel_multi_index(index, self.shape))


class Observed:
    """``env`` whose observations pass through ``encode`` (``Boxes`` for a table on CartPole), counting the steps
    of every episode (``lengths``): an agent trains on it as on the environment itself."""

    def __init__(self, env, encode=None):
        self.env, self.encode, self.lengths = env, encode or (lambda observation: observation), []

    def reset(self, seed=None, options=None):
        observation, info = self.env.reset(seed=seed, options=options)
        self.lengths.append(0)
        return self.encode(observation), info

    def step(self, action):
        observation, reward, terminated, truncated, info = self.env.step(action)
        self.lengths[-1] += 1
        return self.encode(observation), reward, terminated, truncated, info

    def __getattr__(self, name):  # action_space, spec, unwrapped ... of the environment
        return getattr(self.env, name)


class RandomPolicy:
    """The baseline: a uniformly random action whatever the state (``act`` as an agent's)."""

    def __init__(self, n_actions, seed=0):
        self.n_actions, self.rng = n_actions, numpy.random.default_rng(seed)

    def act(self, observation, greedy=False):
        return int(self.rng.integers(self.n_actions))


def mean_and_error(returns):
    """(mean, standard error s / sqrt(n)) of a sample of returns (error 0 for one return)."""
    returns = numpy.asarray(returns, dtype=float)
    if returns.ndim != 1 or returns.size == 0:
        raise ValueError(f"expected a non-empty list of returns, got shape {tuple(returns.shape)}")
    error = returns.std(ddof=1) / math.sqrt(returns.size) if returns.size > 1 else 0.0
    return float(returns.mean()), float(error)


def network_q_values(agent, n_states):
    """The DQN's Q-values of every discrete state, Q(e_s, .; theta) for s = 0 .. n_states - 1, as an (S, A) array."""
    with autograd.no_grad():
        states = bp.from_numpy(numpy.eye(n_states, dtype=numpy.float32))
        return agent.q_network(states).numpy().astype(float)


# ---- the experiment ----

# Barto, Sutton and Anderson's (1983) boxes for the pole: cart position (m), its velocity (m/s), the pole's angle
# (rad: 0, +-1, +-6 degrees) and angular velocity (+-50 degrees/s): 3 x 3 x 6 x 3 = 162 boxes
BOXES = [[-0.8, 0.8], [-0.5, 0.5], [math.radians(d) for d in (-6, -1, 0, 1, 6)], [math.radians(-50), math.radians(50)]]
# budgets: the table trains for episodes (cheap: microseconds a step), DQN and the CartPole boxes for env steps
FULL = {"table_episodes": {FROZEN_LAKE: 5000, TAXI: 3000},
        "steps": {FROZEN_LAKE: 10_000, TAXI: 80_000, CART_POLE: 25_000},
        "eval_episodes": {FROZEN_LAKE: 1000, TAXI: 1000, CART_POLE: 100}}
QUICK = {"table_episodes": {FROZEN_LAKE: 1000, TAXI: 500}, "steps": {FROZEN_LAKE: 1500, TAXI: 3000, CART_POLE: 2000},
         "eval_episodes": {FROZEN_LAKE: 100, TAXI: 20, CART_POLE: 20}}
TABLE = {FROZEN_LAKE: {"alpha": 0.05, "gamma": 0.99}, TAXI: {"alpha": 0.5, "gamma": 0.99},
         CART_POLE: {"alpha": 0.1, "gamma": 0.99}}
NETWORK = {FROZEN_LAKE: {"hidden": (64,), "lr": 1e-3, "batch_size": 64, "train_every": 1, "tau": 0.005,
                         "learning_starts": 500},
           TAXI: {"hidden": (128,), "lr": 2e-3, "batch_size": 128, "train_every": 8, "tau": 0.02,
                  "learning_starts": 1000},
           CART_POLE: {"hidden": (64, 64), "lr": 1e-3, "batch_size": 64, "train_every": 1, "tau": 0.005,
                       "learning_starts": 500}}
EVALUATION_SEED = 1_000_000  # greedy evaluation episodes start from resets seeded 10^6 + seed + i: not the training's


def train(agent, env, steps=None, episodes=100_000, seed=0):
    """Train ``agent`` on ``env`` (an ``Observed`` one) for ``episodes`` episodes or until ``steps`` environment
    steps are used up (the episode under way is finished); returns (returns, episode lengths, seconds)."""
    start, first = time.perf_counter(), len(env.lengths)

    def used_up(episode, episode_return):
        return steps is not None and sum(env.lengths[first:]) >= steps
    returns = agent.train(env, episodes, seed=seed, callback=used_up)
    return returns, env.lengths[first:], time.perf_counter() - start


def score(agent, env, episodes, seed, model=None, q=None):
    """Greedy play: {mean, error (standard error), episodes}, and with the environment's ``model`` (T, R, start, H)
    and the agent's Q-values ``q`` (S, A) the exact expected return of its greedy policy."""
    mean, error = mean_and_error(rl.evaluate(agent, env, episodes, seed=EVALUATION_SEED + seed))
    found = {"mean": mean, "error": error, "episodes": episodes}
    if model is not None:
        T, R, start, horizon = model
        found["exact"] = policy_return(T, R, start, horizon, greedy_policy(q))
    return found


def discrete_trials(name, budget, seed):
    """Q-learning's table and DQN on one toy-text environment: their training curves and greedy scores, the
    best possible return and a random policy's."""
    model = environment_model(rl.make(name, **OPTIONS[name]))
    n_states, n_actions = model[1].shape
    episodes, evaluations = budget["table_episodes"][name], budget["eval_episodes"][name]
    env = Observed(rl.make(name, seed=seed, **OPTIONS[name]))
    table = rl.QLearning(n_states, n_actions, epsilon_decay_episodes=episodes // 2, seed=seed, **TABLE[name])
    returns, lengths, seconds = train(table, env, episodes=episodes, seed=seed)
    found = {"best": best_return(*model), "random": score(RandomPolicy(n_actions, seed), env, evaluations, seed),
             "table": {"returns": returns, "lengths": lengths, "seconds": seconds, "size": table.q.size,
                       **score(table, env, evaluations, seed, model, table.q)}}
    steps = budget["steps"][name]
    network = rl.DQN(n_states, n_actions, epsilon_decay_steps=steps // 2, seed=seed, **NETWORK[name])
    returns, lengths, seconds = train(network, env, steps=steps, seed=seed)
    found["network"] = {"returns": returns, "lengths": lengths, "seconds": seconds,
                        "size": models.count_parameters(network.q_network),
                        **score(network, env, evaluations, seed, model, network_q_values(network, n_states))}
    return found


def cart_pole_trials(budget, seed):
    """DQN on CartPole's four numbers and Q-learning on its 162 boxes, the same number of environment steps."""
    steps, evaluations = budget["steps"][CART_POLE], budget["eval_episodes"][CART_POLE]
    env = Observed(rl.make(CART_POLE, seed=seed))
    found = {"best": SOLVED_CART_POLE, "random": score(RandomPolicy(2, seed), env, evaluations, seed)}
    network = rl.DQN(4, 2, epsilon_decay_steps=steps // 5, seed=seed, **NETWORK[CART_POLE])
    returns, lengths, seconds = train(network, env, steps=steps, seed=seed)
    found["network"] = {"returns": returns, "lengths": lengths, "seconds": seconds,
                        "size": models.count_parameters(network.q_network), **score(network, env, evaluations, seed)}
    boxes = Boxes(BOXES)
    env = Observed(rl.make(CART_POLE, seed=seed), boxes)
    # epsilon falls over the first ~ steps / 5 steps as for DQN, counted in episodes of about 20 steps at first
    table = rl.QLearning(boxes.n_states, 2, epsilon_decay_episodes=max(1, steps // 100), seed=seed, **TABLE[CART_POLE])
    returns, lengths, seconds = train(table, env, steps=steps, seed=seed)
    found["table"] = {"returns": returns, "lengths": lengths, "seconds": seconds, "size": table.q.size,
                      **score(table, env, evaluations, seed)}
    return found


# what counts as learnt. Full run: the greedy policy's exact expected return within a margin of the best possible,
# and DQN's greedy mean on CartPole at least 195 (CartPole-v0's "solved"); quick run (tiny budgets): well above random
MARGIN = {FROZEN_LAKE: {"table": 0.03, "network": 0.05}, TAXI: {"table": 0.5, "network": 1.0}}
QUICK_PASS = {FROZEN_LAKE: {"table": 0.15, "network": 0.15}, TAXI: {"table": -100.0, "network": -250.0}}
CART_POLE_PASS = {False: 195.0, True: 100.0}


@experiment("function_approximation", title="Function approximation in RL: the Q-table and the Q-network",
            claim="When the state-action table no longer fits, a network maps a state (or state-action) to its "
                  "value.")
def run(report, quick, seed):
    budget = QUICK if quick else FULL
    report.setup(_setup_text(budget, seed))
    found = {name: discrete_trials(name, budget, seed) for name in (FROZEN_LAKE, TAXI)}
    found[CART_POLE] = cart_pole_trials(budget, seed)
    rows = []
    for name, trials in found.items():
        rows.append([name, "random policy", "-", "-", "-", "-", _plus_minus(trials["random"]), "-", trials["best"]])
        for agent in ("table", "network"):
            trial = trials[agent]
            rows.append([name, _AGENT[name, agent], trial["size"], len(trial["returns"]), sum(trial["lengths"]),
                         f"{trial['seconds']:.1f}", _plus_minus(trial), trial.get("exact", "-"), trials["best"]])
            report.result(f"{name}/{agent}", {k: v for k, v in trial.items() if k not in ("returns", "lengths")})
        report.result(f"{name}/random", trials["random"])
        report.result(f"{name}/best", trials["best"])
    report.table(["environment", "agent", "parameters (table entries or weights)", "training episodes",
                  "training steps", "training seconds", "greedy return (mean ± s.e.)", "exact expected return",
                  "best possible"], rows,
                 caption="greedy return: mean ± standard error over the evaluation episodes; exact: the greedy "
                         "policy's expected return computed from the environment's model (FrozenLake: the success "
                         "probability within 100 steps); best possible: finite-horizon value iteration (CartPole: "
                         "500, the time limit)")
    report.text(_steps_and_seconds(found))
    _draw(report, found)
    passed, words = _judge(found, quick)
    report.verdict(passed, words)


_AGENT = {(FROZEN_LAKE, "table"): "Q-learning, table 16 x 4", (FROZEN_LAKE, "network"): "DQN, one-hot 16 -> 64 -> 4",
          (TAXI, "table"): "Q-learning, table 500 x 6", (TAXI, "network"): "DQN, one-hot 500 -> 128 -> 6",
          (CART_POLE, "table"): "Q-learning, 162 boxes x 2", (CART_POLE, "network"): "DQN, 4 -> 64 -> 64 -> 2"}


def _plus_minus(score):
    return f"{score['mean']:.3g} ± {score['error']:.2g} ({score['episodes']})"


def _steps_and_seconds(found):
    """A sentence per environment: the environment steps and the seconds each agent trained for."""
    parts = []
    for name, trials in found.items():
        table, network = trials["table"], trials["network"]
        parts.append(f"{name}: the table {sum(table['lengths'])} steps in {table['seconds']:.1f} s, DQN "
                     f"{sum(network['lengths'])} steps in {network['seconds']:.1f} s")
    return "Training: " + "; ".join(parts) + "."


def _judge(found, quick):
    """(reproduced, the verdict's sentence): on FrozenLake and Taxi the exact expected return of each greedy policy
    at least its threshold, on CartPole DQN's greedy mean at least CART_POLE_PASS."""
    checks, words = [], []
    for name in (FROZEN_LAKE, TAXI):
        trials = found[name]
        for agent in ("table", "network"):
            least = QUICK_PASS[name][agent] if quick else trials["best"] - MARGIN[name][agent]
            value = trials[agent]["exact"]
            checks.append(value >= least)
            words.append(f"{name} {'table' if agent == 'table' else 'DQN'} {value:.3g} (needs >= {least:.3g})")
    cart = found[CART_POLE]
    checks.append(cart["network"]["mean"] >= CART_POLE_PASS[quick])
    words.append(f"CartPole-v1 DQN {cart['network']['mean']:.1f} ± {cart['network']['error']:.1f} (needs >= "
                 f"{CART_POLE_PASS[quick]:g}; random {cart['random']['mean']:.1f}, the 162-box table "
                 f"{cart['table']['mean']:.1f} after as many steps)")
    best = ", ".join(f"{name} {found[name]['best']:.3g}" for name in (FROZEN_LAKE, TAXI))
    return all(checks), f"exact expected greedy returns {'; '.join(words[:4])}; {words[4]}; best possible {best}"


def _setup_text(budget, seed):
    episodes, steps, evaluations = budget["table_episodes"], budget["steps"], budget["eval_episodes"]
    return f"""
Environments (gymnasium): {FROZEN_LAKE} (4x4, slippery: a move goes the intended way or to either side, 1/3
each; reward 1 at the goal; 16 states, 4 actions, 100 steps at most), {TAXI} (the same task as Taxi-v3, which
gymnasium 1.4 refuses as deprecated: 500 states, 6 actions, -1 a step, +20 for a delivery, -10 for a wrong pick-up
or drop-off, 200 steps at most) and {CART_POLE} (4 real numbers, 2 actions, +1 a step, 500 steps at most).

*Table*: `rl.QLearning` (alpha {TABLE[FROZEN_LAKE]['alpha']} on FrozenLake, {TABLE[TAXI]['alpha']} on Taxi,
{TABLE[CART_POLE]['alpha']} on CartPole; gamma 0.99; epsilon falling linearly from 1 to 0.01 over half the episodes),
{episodes[FROZEN_LAKE]} episodes of FrozenLake and {episodes[TAXI]} of Taxi. On CartPole the table needs a finite
state: Barto, Sutton and Anderson's (1983) 162 boxes (cart position cut at +-0.8 m, its velocity at +-0.5 m/s, the
angle at 0, +-1, +-6 degrees, the angular velocity at +-50 degrees/s), trained for as many environment steps as DQN,
epsilon falling over the first {max(1, steps[CART_POLE] // 100)} episodes.

*Network*: `rl.DQN` (ReLU MLP, Adam, replay buffer of 50 000, Huber loss, target network averaged after each
update with weight tau, gradient norm clipped at 10, gamma 0.99, epsilon falling linearly from 1 to 0.05 over half
the steps on FrozenLake and Taxi, a fifth on CartPole; discrete states one-hot): FrozenLake
{_shape(NETWORK[FROZEN_LAKE])}, Taxi {_shape(NETWORK[TAXI])}, CartPole {_shape(NETWORK[CART_POLE])};
{steps[FROZEN_LAKE]}, {steps[TAXI]} and {steps[CART_POLE]} environment steps.

Evaluation: greedy play (epsilon = 0) for {evaluations[FROZEN_LAKE]}, {evaluations[TAXI]} and
{evaluations[CART_POLE]} episodes, resets seeded {EVALUATION_SEED} + {seed} + i (training uses seed {seed});
for FrozenLake and Taxi also the greedy policy's exact expected return from the environment's transition model, and
the best possible one (finite-horizon value iteration). A random policy for comparison."""


def _shape(config):
    widths = " -> ".join(str(w) for w in config["hidden"])
    every = "every step" if config["train_every"] == 1 else f"every {config['train_every']} steps"
    return (f"(hidden {widths}, lr {config['lr']:g}, batches of {config['batch_size']}, an update {every} from "
            f"step {config['learning_starts']} on, tau {config['tau']:g})")


def _draw(report, found):
    with report.figure("function_approximation.png", "Training return (moving average of 100 episodes, exploring) "
                       "against environment steps for the table and the network, and the greedy return after training "
                       "(dots); dashed: the best possible, dotted: a random policy. Right: what each agent has to learn, table entries or network weights",
                       ncols=4, figsize=(17, 3.6)) as axes:
        if axes is None:  # no matplotlib: the report says so
            return
        for axis, (name, trials) in zip(axes, found.items()):
            for agent, colour in (("table", "C0"), ("network", "C1")):
                trial = trials[agent]
                steps = numpy.cumsum(trial["lengths"])
                axis.plot(steps, moving_average(trial["returns"], 100), color=colour, label=_AGENT[name, agent])
                axis.plot(steps[-1], trial["mean"], "o", color=colour, markersize=5)  # greedy, after training
            axis.axhline(trials["best"], color="grey", linestyle="--", linewidth=0.8)
            axis.axhline(trials["random"]["mean"], color="grey", linestyle=":", linewidth=0.8)
            axis.set(title=name, xlabel="environment steps", ylabel="return", xscale="log")
            axis.legend(fontsize=7)
        sizes = axes[3]
        labels = [f"{name.split('-')[0]} {'table' if agent == 'table' else 'DQN'}" for name in found
                  for agent in ("table", "network")]
        counts = [found[name][agent]["size"] for name in found for agent in ("table", "network")]
        bars = sizes.bar(range(len(counts)), counts, color=["C0", "C1"] * 3, log=True)
        sizes.bar_label(bars, fontsize=7)
        sizes.set_xticks(range(len(counts)), labels, fontsize=7, rotation=30, ha="right")
        sizes.set(ylabel="table entries or network weights", title="the size of Q", ylim=(10, 3e5))
