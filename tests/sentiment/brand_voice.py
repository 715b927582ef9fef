"""A brand's rated feedback in its own voice, built deterministically for the learned model's tests.

Clothing-shop phrases whose feeling a general English lexicon misses ("runs small", "sent it
back", "pilled") or gets backwards ("killer heels"), so a model trained on the brand's ratings
reads them better than the lexicon does.
"""

from __future__ import annotations

import random

from frontline.sentiment.learning import NEGATIVE, NEUTRAL, POSITIVE, RatedText

PHRASES = {
    NEGATIVE: [
        "the fit runs small and I had to send it back",
        "seams came apart after one wash",
        "still waiting for my refund",
        "the sizing is off, returned it",
        "fabric pilled within a week",
        "the colour faded after two washes",
        "arrived creased and smelling of plastic",
    ],
    NEUTRAL: [
        "it is what you would expect for the price",
        "average fabric, nothing special",
        "the colour differs slightly from the photo",
        "collected it at the store on Tuesday",
        "kept it, may exchange the belt",
        "standard delivery in four days",
    ],
    POSITIVE: [
        "killer heels, bought a second pair",
        "bought it in two colours",
        "my go-to jacket this winter",
        "the stylist found exactly my size",
        "wore it to the wedding and got asked where it was from",
        "washes well and keeps its shape",
    ],
}


def brand_feedback(count: int = 300, *, seed: int = 7) -> list[RatedText]:
    """``count`` rated texts, a third of each label, two phrases of their label each."""
    chooser = random.Random(seed)
    labels = [NEGATIVE, NEUTRAL, POSITIVE]
    return [
        RatedText(
            key=f"voice:{number}",
            text=". ".join(chooser.sample(PHRASES[label], 2)).capitalize() + ".",
            label=label,
        )
        for number, label in ((n, labels[n % 3]) for n in range(count))
    ]
