/**
 * The baseline: Freeman, Jain, Dürmuth, Biggio and Giacinto, "Who Are You? A Statistical Approach to
 * Measuring User Authenticity" (NDSS 2016), with the features Wiefling et al. used for the RBA
 * dataset: the IP address with the hierarchy IP → ASN → country, and the User-Agent string with the
 * hierarchy UA → browser name and version → OS name and version → device type.
 *
 *   S_u(x) = Π_k p(x_k) / p(x_k | u, L)  ·  p(u | A) / p(u | L)
 *
 * computed in logs. The attacker's feature distribution is the global one, p(x_k | A) ≈ p(x_k), and
 * the attacker picks the account uniformly, p(u | A) = 1 / |U|; p(u | L) is u's share of legitimate
 * sign-ins. Both the global and the per-person probabilities are smoothed along the hierarchy: a
 * value's estimate is its count plus α times the parent level's estimate split evenly over the
 * parent's observed children (Dirichlet/back-off smoothing, α = 1), and the coarsest level backs off
 * to add-one over its observed vocabulary. docs/risk.md says which parts of the papers could be read.
 *
 * Faithful also in what it lacks: no decay, no memory bound, no velocity, no time, no RTT, no
 * sessions. It learns only from `learn` (successful legitimate sign-ins).
 */
import type { RiskEvent } from './event.js';
import { extractFeatures, type Features } from './features.js';

const ALPHA = 1;

type Chain = readonly ((f: Features) => string | undefined)[];

const IP_CHAIN: Chain = [(f) => f.ip, (f) => f.asn, (f) => f.country];
const UA_CHAIN: Chain = [(f) => f.ua, (f) => f.browser, (f) => f.os, (f) => f.device];
const CHAINS = [IP_CHAIN, UA_CHAIN] as const;

/** Counts per level, keyed by the value's full path (so an IP is counted under its own ASN). */
class PathCounts {
  readonly counts = new Map<string, number>();
  /** Distinct children observed under a path; key '' is the root. */
  readonly children = new Map<string, number>();
  total = 0;

  add(path: readonly string[]): void {
    this.total += 1;
    let key = '';
    for (let level = 0; level < path.length; level += 1) {
      const parent = key;
      key = `${key}\u0001${path[level]}`;
      const seen = this.counts.get(key);
      if (seen === undefined) {
        this.children.set(parent, (this.children.get(parent) ?? 0) + 1);
      }
      this.counts.set(key, (seen ?? 0) + 1);
    }
  }

  /**
   * Smoothed conditionals p(v_i | v_0 … v_{i-1}) down the path (coarsest first): the count plus α
   * times the base conditional, over the parent's count plus α. Without a base, the base is uniform
   * over the parent's observed children plus one unseen value.
   */
  conditionals(path: readonly string[], base?: readonly number[]): number[] {
    const out: number[] = [];
    let key = '';
    let parentCount = this.total;
    for (let level = 0; level < path.length; level += 1) {
      const parent = key;
      key = `${key}\u0001${path[level]}`;
      const count = this.counts.get(key) ?? 0;
      const prior = base?.[level] ?? 1 / ((this.children.get(parent) ?? 0) + 1);
      out.push((count + ALPHA * prior) / (parentCount + ALPHA));
      parentCount = count;
    }
    return out;
  }
}

function product(values: readonly number[]): number {
  return values.reduce((a, b) => a * b, 1);
}

/** Coarsest level first, with missing values as an explicit `?` so every event has a full path. */
function pathOf(features: Features, chain: Chain): string[] {
  return chain.map((read) => read(features) ?? '?').reverse();
}

export interface FreemanModel {
  /** log S_u(x): higher is riskier. */
  score(event: RiskEvent): number;
  learn(event: RiskEvent): void;
}

export function createFreemanModel(): FreemanModel {
  const global = CHAINS.map(() => new PathCounts());
  const perUser = new Map<string, PathCounts[]>();
  let logins = 0;

  return {
    score(event) {
      const features = extractFeatures(event);
      const history = perUser.get(features.user);
      const users = perUser.size + 1;
      const userLogins = history?.[0]?.total ?? 0;
      // p(u|A) / p(u|L), add-one smoothed so a person with no history has a finite ratio.
      let logScore = Math.log(1 / users) - Math.log((userLogins + 1) / (logins + users));
      CHAINS.forEach((chain, index) => {
        const path = pathOf(features, chain);
        const globalConditionals = (global[index] as PathCounts).conditionals(path);
        const own = history?.[index];
        // The person's distribution is smoothed towards the population's, level by level.
        const userConditionals = own?.conditionals(path, globalConditionals) ?? globalConditionals;
        logScore += Math.log(product(globalConditionals)) - Math.log(product(userConditionals));
      });
      return logScore;
    },
    learn(event) {
      const features = extractFeatures(event);
      let history = perUser.get(features.user);
      if (history === undefined) {
        history = CHAINS.map(() => new PathCounts());
        perUser.set(features.user, history);
      }
      logins += 1;
      CHAINS.forEach((chain, index) => {
        const path = pathOf(features, chain);
        (global[index] as PathCounts).add(path);
        (history[index] as PathCounts).add(path);
      });
    },
  };
}
