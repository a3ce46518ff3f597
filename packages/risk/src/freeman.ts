/**
 * The baseline: Freeman, Jain, Dürmuth, Biggio and Giacinto, "Who Are You? A Statistical Approach to
 * Measuring User Authenticity" (NDSS 2016), as Wiefling et al. implemented it for the RBA dataset
 * ("Pump Up Password Security!", ACM TOPS 2022; their code: github.com/das-group/rba-algorithm,
 * `freeman_rba_score`), ported step by step:
 *
 *   S_u(x) = Π_F p(x_F) / p(x_F | u, L)  ·  p(u | A) / p(u | L)
 *
 * over two features F: the IP address with the levels IP, ASN, country (weights 0.6, 0.3, 0.1) and
 * the User-Agent with UA string, browser name and version, OS name and version, device type
 * (weights 0.5387, 0.2680, 0.1882, 0.0051), both sets theirs, tuned for the RBA dataset.
 *
 * - p(x_F | u, L) = Σ_level w · (the person's earlier sign-ins with this value at that level) / (their
 *   sign-ins): unsmoothed; when it is 0 (no level matches), it is p(x_F) / 4 (their edge case).
 * - p(x_F) = w_0 · n/(n + k) · max(c_0, 1)/(N + U) + Σ_{level ≥ 1} w · c/N, where N is everyone's
 *   sign-ins, c a level's count of this value among them, U the distinct values of the levels below
 *   the first plus one (add-one smoothing of the first level only), and n/(n + k) their factor for the
 *   first level's value: n its count with this sign-in included, k the distinct values below it on
 *   those sign-ins plus one (3 for an IP address: its ASN, its country, one; 4 for a UA string).
 * - p(u | A) = 1 / (the people seen), p(u | L) = (their sign-ins) / N.
 *
 * Computed in logs (the same ranking as their product). Where the port departs from their code, it is
 * because a streaming scorer cannot do what a batch over a finished dataset does: their `n` counts the
 * value over the whole dataset, later sign-ins included, and here counts the sign-ins so far plus this
 * one; `k` is 3 and 4 (one ASN and one country per address, one browser, OS and device type per UA
 * string), where they count the distinct ones in the dataset; and they score no first sign-in, while
 * here a person with no history scores as if no level matched (the edge case, a ratio of 4 per
 * feature) with p(u | A) / p(u | L) taken as 1. Faithful also in what it lacks: no decay, no memory
 * bound, no velocity, no time, no RTT, no sessions. It learns only from `learn` (successful
 * legitimate sign-ins).
 */
import type { RiskEvent } from './event.js';
import { extractFeatures, type Features } from './features.js';

interface Level {
  readonly read: (f: Features) => string | undefined;
  readonly weight: number;
}

interface Feature {
  readonly levels: readonly Level[];
  /** Their `get_unseen_values` on the first level's own sign-ins: one value per level below, plus one. */
  readonly firstLevelUnseen: number;
}

const FEATURES: readonly Feature[] = [
  {
    levels: [
      { read: (f) => f.ip, weight: 0.6 },
      { read: (f) => f.asn, weight: 0.3 },
      { read: (f) => f.country, weight: 0.1 },
    ],
    firstLevelUnseen: 3,
  },
  {
    levels: [
      { read: (f) => f.ua, weight: 0.5386653840551359 },
      { read: (f) => f.browser, weight: 0.2680451498625666 },
      { read: (f) => f.os, weight: 0.18818295100109536 },
      { read: (f) => f.device, weight: 0.0051065150812021525 },
    ],
    firstLevelUnseen: 4,
  },
];
const LEVELS = FEATURES.flatMap((feature) => feature.levels);

/** Sign-ins per value, one map per level (in FEATURES order), and their total. */
class Counts {
  readonly byLevel = LEVELS.map(() => new Map<string, number>());
  total = 0;

  add(values: readonly string[]): void {
    this.total += 1;
    values.forEach((value, level) => {
      const map = this.byLevel[level] as Map<string, number>;
      map.set(value, (map.get(value) ?? 0) + 1);
    });
  }

  count(level: number, value: string): number {
    return this.byLevel[level]?.get(value) ?? 0;
  }

  distinct(level: number): number {
    return this.byLevel[level]?.size ?? 0;
  }
}

/** Every level's value; a missing one is the value `?` (their code drops such rows). */
function valuesOf(features: Features): string[] {
  return LEVELS.map((level) => level.read(features) ?? '?');
}

export interface FreemanModel {
  /** log S_u(x): higher is riskier. */
  score(event: RiskEvent): number;
  learn(event: RiskEvent): void;
}

export function createFreemanModel(): FreemanModel {
  const global = new Counts();
  const perUser = new Map<string, Counts>();

  /** p(x_F): the first level add-one smoothed over the levels below it, the others plain shares. */
  function globalLikelihood(feature: Feature, offset: number, values: readonly string[]): number {
    const n = global.total;
    let unseen = 1;
    for (let level = 1; level < feature.levels.length; level += 1) {
      unseen += global.distinct(offset + level);
    }
    const first = global.count(offset, values[offset] as string);
    const withThis = first + 1;
    let likelihood =
      (feature.levels[0]?.weight ?? 0) *
      (withThis / (withThis + feature.firstLevelUnseen)) *
      (Math.max(first, 1) / (n + unseen));
    for (let level = 1; level < feature.levels.length; level += 1) {
      const count = global.count(offset + level, values[offset + level] as string);
      if (n > 0) {
        likelihood += (feature.levels[level]?.weight ?? 0) * (count / n);
      }
    }
    return likelihood;
  }

  /** p(x_F | u, L): the weighted shares of the person's sign-ins that match at each level. */
  function localLikelihood(
    feature: Feature,
    offset: number,
    values: readonly string[],
    own: Counts | undefined,
  ): number {
    if (own === undefined || own.total === 0) {
      return 0;
    }
    let likelihood = 0;
    feature.levels.forEach((level, index) => {
      likelihood += level.weight * (own.count(offset + index, values[offset + index] as string) / own.total);
    });
    return likelihood;
  }

  return {
    score(event) {
      const features = extractFeatures(event);
      const values = valuesOf(features);
      const own = perUser.get(features.user);
      let logScore = 0;
      let offset = 0;
      for (const feature of FEATURES) {
        const globalPart = globalLikelihood(feature, offset, values);
        const local = localLikelihood(feature, offset, values, own);
        // Their edge case: no level of the feature in the person's history.
        logScore += Math.log(globalPart) - Math.log(local === 0 ? globalPart / 4 : local);
        offset += feature.levels.length;
      }
      if (own !== undefined && own.total > 0) {
        // p(u|A) / p(u|L): every person attacked alike, against this person's share of sign-ins.
        logScore += Math.log(1 / perUser.size) - Math.log(own.total / global.total);
      }
      return logScore;
    },
    learn(event) {
      const features = extractFeatures(event);
      const values = valuesOf(features);
      let own = perUser.get(features.user);
      if (own === undefined) {
        own = new Counts();
        perUser.set(features.user, own);
      }
      global.add(values);
      own.add(values);
    },
  };
}
