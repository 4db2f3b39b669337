"""DQN on CartPole-v1, five seeds: measure the target and draw docs/figures/dqn_cartpole.png (needs matplotlib).

    OPENBLAS_NUM_THREADS=1 python docs/figures/dqn.py                 # 5 seeds, 2 at a time (2 cores), ~15 min
    python docs/figures/dqn.py --plot-only                            # redraw from the saved results

Each seed trains a double DQN with the settings below for at most 100,000
environment steps or 10 minutes, whichever comes first. Every 5,000 steps
(at the end of an episode) the greedy policy plays 10 episodes and the
weights with the best mean are kept (a standard practice: DQN on CartPole
often forgets a good policy for a while); the training time counts these
evaluations. The kept weights then play 100 greedy episodes, reset with
seeds 0..99 (``rl.evaluate``), which the periodic evaluations never use.
The target: a mean >= 475 for at least 4 of the 5 seeds.
"""
import argparse
import json
import os
import time

os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")   # one core per run, before NumPy starts its threads

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import numpy as np  # noqa: E402
from matplotlib import pyplot as plt  # noqa: E402

from backprop import rl  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SETTINGS = dict(hidden=(128, 128), lr=5e-4, gamma=0.99, buffer_size=50_000, batch_size=64, learning_starts=1000,
                train_every=1, target_update=500, double=True, huber=True, clip_grad_norm=10.0, epsilon=1.0,
                epsilon_end=0.05, epsilon_decay_steps=10_000, eval_every=5000, eval_episodes=10)
MAX_STEPS = 100_000
TIME_LIMIT = 600.0     # seconds of training
TARGET = 475.0


def run(seed):
    """Train one seed; its training time, the return and last step of each episode, the periodic evaluations and
    the 100 final greedy returns."""
    env = rl.make("CartPole-v1")
    agent = rl.DQN(4, 2, seed=seed, **SETTINGS)
    ends, start = [], time.perf_counter()

    def stop(episode, episode_return):
        ends.append(agent.steps)
        return agent.steps >= MAX_STEPS or time.perf_counter() - start > TIME_LIMIT

    returns = agent.train(env, 10**6, seed=seed, callback=stop)
    seconds = time.perf_counter() - start
    final = rl.evaluate(agent, env, episodes=100)
    result = {"seed": seed, "seconds": seconds, "steps": agent.steps, "returns": returns, "ends": ends,
              "evaluations": agent.evaluations, "best": agent.best_return, "final": final.tolist()}
    print(f"seed {seed}: {seconds:.0f} s, {agent.steps} steps, best periodic evaluation {agent.best_return:.1f}, "
          f"100 greedy episodes {final.mean():.1f}", flush=True)
    return result


def moving_average(values, width=20):
    values = np.asarray(values, dtype=float)
    cumulative = np.concatenate([[0.0], np.cumsum(values)])
    counts = np.minimum(np.arange(1, len(values) + 1), width)
    return (cumulative[1:] - cumulative[np.arange(1, len(values) + 1) - counts]) / counts


def draw(results, path):
    figure, (left, right) = plt.subplots(1, 2, figsize=(11, 4), gridspec_kw={"width_ratios": [2, 1.2]})
    for result, color in zip(results, plt.cm.tab10.colors):
        left.plot(result["ends"], moving_average(result["returns"]), color=color, lw=1,
                  label=f"seed {result['seed']}")
        steps, means = zip(*result["evaluations"])
        left.plot(steps, means, "o", color=color, ms=3)
    left.axhline(TARGET, color="gray", ls="--", lw=1)
    left.set(xlabel="environment steps", ylabel="return", ylim=(0, 520),
             title="training return (mean of 20 episodes); dots: greedy evaluations (10 episodes)")
    left.title.set_fontsize(9)
    left.legend(fontsize=8, loc="upper left")
    means = [np.mean(result["final"]) for result in results]
    bars = right.bar(range(len(results)), means, color=plt.cm.tab10.colors[:len(results)])
    for bar, result, mean in zip(bars, results, means):
        right.text(bar.get_x() + bar.get_width() / 2, mean / 2, f"{mean:.0f}\nmin {min(result['final']):.0f}\n"
                   f"{result['seconds']:.0f} s", ha="center", va="center", fontsize=8)
    right.set_xticks(range(len(results)), [str(result["seed"]) for result in results])
    right.axhline(TARGET, color="gray", ls="--", lw=1)
    right.set(xlabel="seed", ylim=(0, 520), title="kept weights: mean of 100 greedy episodes\n(training time)")
    right.title.set_fontsize(9)
    figure.suptitle("double DQN on CartPole-v1 (hidden 128-128, Adam 5e-4, Huber, target copy every 500 updates)",
                    fontsize=10)
    figure.tight_layout()
    figure.savefig(path, dpi=100)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2, 3, 4])
    parser.add_argument("--jobs", type=int, default=2, help="seeds trained at the same time (one core each)")
    parser.add_argument("--results", default="/tmp/dqn_cartpole.json", help="where the measurements are kept")
    parser.add_argument("--plot-only", action="store_true", help="redraw from --results without training")
    args = parser.parse_args()
    if args.plot_only:
        with open(args.results) as file:
            results = json.load(file)
    else:
        from multiprocessing import Pool
        with Pool(args.jobs) as pool:
            results = pool.map(run, args.seeds, chunksize=1)
        with open(args.results, "w") as file:
            json.dump(results, file)
    means = [np.mean(result["final"]) for result in results]
    print(f"{sum(mean >= TARGET for mean in means)} of {len(means)} seeds reach >= {TARGET:.0f}; training times "
          + ", ".join(f"{result['seconds']:.0f} s" for result in results))
    draw(results, os.path.join(HERE, "dqn_cartpole.png"))


if __name__ == "__main__":
    main()
