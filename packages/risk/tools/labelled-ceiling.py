#!/usr/bin/python3
"""The labelled ceiling: how well could the engine's own factors separate each attacker if their
combination were learned with the labels, and does that combination carry over to a simulator it
was not learned on? (docs/risk.md item 48.)

Combiners are trained on seeds 7-10 of our simulator (legitimate sign-ins against the naive, VPN,
targeted and adaptive attacks; people with at least one earlier sign-in), calibrated at 1 % of the
legitimate sign-ins on seed 1 of each stream and reported on the rest (our simulator: seeds 2-6, as
`npm run risk:eval`; the cross-check: seeds 2-4, as `npm run risk:crosscheck`). The engine row is
the engine's own score (the sum of its factors), so it equals those commands' figures.

Needs Debian's python3-sklearn (not a dependency of the project; the test suite does not run it):

  npx tsc -b
  node packages/risk/dist/sim/factor-vectors.js own 1-10 /tmp/own.csv
  node packages/risk/dist/sim/factor-vectors.js crosscheck 1-4 /tmp/xcheck.csv
  node packages/risk/dist/sim/factor-vectors.js crosscheck 1-4 /tmp/xcheck-net.csv by-network
  /usr/bin/python3 packages/risk/tools/labelled-ceiling.py /tmp/own.csv /tmp/xcheck.csv /tmp/xcheck-net.csv
"""
import sys

import numpy as np
import pandas as pd
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression

ATTACKERS = ['naive', 'vpn', 'targeted', 'stuffing', 'adaptive']


def load(path):
    df = pd.read_csv(path)
    return df[df.history >= 1]


own_path, *other_paths = sys.argv[1:]
own = load(own_path)
factors = [c for c in own.columns if c.startswith('f_')]
train = own[(own.seed >= 7) & own.kind.isin(['legit', 'naive', 'vpn', 'targeted', 'adaptive'])]
y = (train.kind != 'legit').astype(int).values
weight = np.where(y == 1, (y == 0).sum() / (y == 1).sum(), 1.0)
streams = [('own simulator, seeds 2-6', own[own.seed <= 6])]
for path in other_paths:
    other = load(path)
    for f in factors:
        if f not in other.columns:
            other[f] = 0.0
    streams.append((path, other))


def tpr_at_one_percent(score, stream):
    cal, test = stream[stream.seed == 1], stream[stream.seed >= 2]
    s_cal, s_test = score(cal), score(test)
    threshold = np.quantile(s_cal[cal.kind.values == 'legit'], 0.99)
    cells = [f"{k} {np.mean(s_test[test.kind.values == k] > threshold) * 100:5.1f}"
             for k in ATTACKERS if (test.kind == k).any()]
    cells.append(f"legit {np.mean(s_test[test.kind.values == 'legit'] > threshold) * 100:.1f}")
    return ', '.join(cells)


def fit(inputs=factors, **options):
    model = HistGradientBoostingClassifier(max_iter=300, learning_rate=0.05, random_state=0, **options)
    model.fit(train[inputs].values, y, sample_weight=weight)
    return lambda d: model.predict_proba(d[inputs].values)[:, 1]


logistic = LogisticRegression(max_iter=2000).fit(train[factors].values, y, sample_weight=weight)
n = len(factors)
combiners = [
    ('engine (sum of factors)', lambda d: d.score.values),
    ('logistic (learned weights)', lambda d: logistic.decision_function(d[factors].values)),
    ('GAM (learned shape per factor)', fit(interaction_cst=[[i] for i in range(n)])),
    ('monotone boosted trees', fit(monotonic_cst=[1] * n)),
    ('boosted trees', fit()),
    ('boosted trees, + earlier sign-ins', fit(factors + ['history'])),
]
for name, stream in streams:
    print(f'\n{name}: TPR at 1 % legitimate re-authentication (calibrated on seed 1), people with >= 1 sign-in')
    for label, score in combiners:
        print(f'  {label:32s} {tpr_at_one_percent(score, stream)}')
