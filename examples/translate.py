"""Seed 001's translation example: train on the built-in German-English phrase list, save, load, translate.

    python examples/translate.py [--minutes 1]

Word order needs context: "Ich mag Schokolade" is a statement, "Mag ich Schokolade?" (the verb first)
a question, "Do I like chocolate?".
"""
import argparse
import tempfile

import lstmkit
from lstmkit.data.pair_demos import phrase_pairs

ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
ap.add_argument("--minutes", type=float, default=1.0)
args = ap.parse_args()

model = lstmkit.Seq2Seq("word", "word", seed=0).fit(phrase_pairs(), minutes=args.minutes, progress=True)
with tempfile.TemporaryDirectory() as d:
    model.save(d)
    back = lstmkit.load(d)
    for source in ("Ich mag Schokolade", "Mag ich Schokolade?", "Wir essen keine Suppe"):
        print(f"{source}  ->  {back.translate(source, beam=4)}")
