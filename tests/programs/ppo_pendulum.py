# Proximal policy optimisation on Pendulum-v1 (gymnasium), continuous actions: a Gaussian policy (a state-independent
# log standard deviation as an nn.Parameter), torch.distributions.Normal with log_prob summed over the action
# dimension and entropy, a value network, generalised advantage estimation, the clipped surrogate objective over
# shuffled minibatches (torch.randperm), Adam, clip_grad_norm_. The environment is seeded; actions are sampled from
# each framework's own generator, so only the run's shape and its expectations are compared.
# compare: none
# expect: updates == 3
# expect: log_prob check == 1
# expect: clip fraction <= 1
import argparse
import math

import gymnasium as gym
import numpy as np
import torch
import torch.nn as nn
from torch.distributions import Normal


class ActorCritic(nn.Module):
    def __init__(self, obs_dim, act_dim, hidden=32):
        super().__init__()
        self.actor = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                   nn.Linear(hidden, act_dim))
        self.critic = nn.Sequential(nn.Linear(obs_dim, hidden), nn.Tanh(), nn.Linear(hidden, hidden), nn.Tanh(),
                                    nn.Linear(hidden, 1))
        self.log_std = nn.Parameter(torch.full((act_dim,), -0.5))

    def dist(self, obs):
        return Normal(self.actor(obs), self.log_std.exp())

    def value(self, obs):
        return self.critic(obs).squeeze(-1)


def gae(rewards, values, dones, last_value, gamma=0.99, lam=0.95):
    advantages = torch.zeros_like(rewards)
    next_value, running = last_value, 0.0
    for t in reversed(range(len(rewards))):
        mask = 1.0 - dones[t]
        delta = rewards[t] + gamma * next_value * mask - values[t]
        running = delta + gamma * lam * mask * running
        advantages[t] = running
        next_value = values[t]
    return advantages, advantages + values


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--updates", type=int, default=3)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--minibatch", type=int, default=50)
    parser.add_argument("--clip", type=float, default=0.2)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.manual_seed(args.seed)
    env = gym.make("Pendulum-v1")
    obs_dim, act_dim = env.observation_space.shape[0], env.action_space.shape[0]
    high = float(env.action_space.high[0])
    model = ActorCritic(obs_dim, act_dim)
    optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)

    d = Normal(torch.tensor([0.5, -1.0]), torch.tensor([0.3, 2.0]))
    value = torch.tensor([0.2, 0.0])
    by_hand = -((value - d.loc) ** 2) / (2 * d.scale ** 2) - d.scale.log() - 0.5 * math.log(2 * math.pi)
    print("log_prob check:", int(torch.allclose(d.log_prob(value), by_hand)),
          "entropy:", [round(v, 5) for v in d.entropy().tolist()])

    obs, _ = env.reset(seed=args.seed)
    for update in range(1, args.updates + 1):
        observations, actions, log_probs, rewards, dones, values = [], [], [], [], [], []
        episode_return, returns = 0.0, []
        for _ in range(args.steps):
            obs_t = torch.as_tensor(obs, dtype=torch.float32)
            with torch.no_grad():
                dist = model.dist(obs_t)
                action = dist.sample()
                log_prob = dist.log_prob(action).sum(-1)
                value = model.value(obs_t)
            obs, reward, terminated, truncated, _ = env.step(action.clamp(-high, high).numpy())
            episode_return += reward
            observations.append(obs_t)
            actions.append(action)
            log_probs.append(log_prob)
            rewards.append(float(reward))
            dones.append(float(terminated or truncated))
            values.append(value)
            if terminated or truncated:
                returns.append(episode_return)
                episode_return = 0.0
                obs, _ = env.reset()
        with torch.no_grad():
            last_value = model.value(torch.as_tensor(obs, dtype=torch.float32))
        b_obs, b_act = torch.stack(observations), torch.stack(actions)
        b_logp, b_val = torch.stack(log_probs), torch.stack(values)
        advantages, b_ret = gae(torch.tensor(rewards), b_val, torch.tensor(dones), last_value)

        clipped, seen = 0, 0
        for _ in range(args.epochs):
            for idx in torch.randperm(args.steps).split(args.minibatch):
                dist = model.dist(b_obs[idx])
                new_logp = dist.log_prob(b_act[idx]).sum(-1)
                ratio = (new_logp - b_logp[idx]).exp()
                adv = advantages[idx]
                adv = (adv - adv.mean()) / (adv.std() + 1e-8)
                policy_loss = -torch.min(ratio * adv, ratio.clamp(1 - args.clip, 1 + args.clip) * adv).mean()
                value_loss = 0.5 * (model.value(b_obs[idx]) - b_ret[idx]).pow(2).mean()
                entropy = dist.entropy().sum(-1).mean()
                loss = policy_loss + 0.5 * value_loss - 0.01 * entropy
                optimizer.zero_grad()
                loss.backward()
                nn.utils.clip_grad_norm_(model.parameters(), 0.5)
                optimizer.step()
                clipped += ((ratio - 1).abs() > args.clip).sum().item()
                seen += len(idx)
        mean_return = np.mean(returns) if returns else episode_return
        print(f"update {update}: return {mean_return:.2f} policy loss {policy_loss.item():.4f} "
              f"value loss {value_loss.item():.4f} entropy {entropy.item():.4f} std {model.log_std.exp().item():.4f}")
    env.close()
    print("clip fraction:", round(clipped / seen, 4))
    print("updates:", update)


if __name__ == "__main__":
    main()
