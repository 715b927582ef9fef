"""A real, tiny ONNX sentiment model made here from the shipped review extract, in the layout a
Hugging Face transformer export has (model.onnx, tokenizer.json, config.json), so the local
model's loading and scoring run for real without a download.

What it is: a word-level tokenizer trained with the ``tokenizers`` library on the extract's
training four-fifths, and a class-balanced logistic regression over the token counts trained
with scikit-learn, written as an ONNX graph by hand (onnx.helper): each token's row of weights
gathered, masked by ``attention_mask``, summed over the sequence, plus the intercepts. That is
the same arithmetic as the regression's ``decision_function`` on the counts, with a
transformer's inputs and ``logits`` output. It is not a transformer: a real one (tens to
hundreds of MB) reads through the same code, but none ships with the project.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy
import onnx
from onnx import TensorProto, helper, numpy_helper
from scipy import sparse
from sklearn.linear_model import LogisticRegression
from tokenizers import Tokenizer, models, normalizers, pre_tokenizers, trainers

from frontline.sentiment.feedback import star_reviews_read
from frontline.sentiment.learning import RatedText, held_out

EXTRACT = (
    Path(__file__).resolve().parents[1] / "data" / "clothing_reviews" / "reviews-first-3000.csv"
)
UNKNOWN_TOKEN = "[UNK]"
OPSET = 17


@dataclass
class MadeModel:
    directory: Path
    tokenizer: Tokenizer
    classifier: LogisticRegression
    held_out: list[RatedText]

    def counts(self, text: str) -> Any:
        """The token counts the regression was trained on, for one text."""
        return _counts(self.tokenizer, [text])


def reviews() -> tuple[list[RatedText], list[RatedText]]:
    rated = [item for item in star_reviews_read(EXTRACT) if item.text.strip()]
    return [r for r in rated if not held_out(r.key)], [r for r in rated if held_out(r.key)]


def onnx_model_make(directory: Path) -> MadeModel:
    training, testing = reviews()
    tokenizer = Tokenizer(models.WordLevel(unk_token=UNKNOWN_TOKEN))
    tokenizer.normalizer = normalizers.Lowercase()
    tokenizer.pre_tokenizer = pre_tokenizers.Whitespace()
    trainer = trainers.WordLevelTrainer(min_frequency=2, special_tokens=[UNKNOWN_TOKEN])
    tokenizer.train_from_iterator([item.text for item in training], trainer=trainer)
    classifier = LogisticRegression(class_weight="balanced", max_iter=2_000, C=0.5)
    classifier.fit(_counts(tokenizer, [r.text for r in training]), [r.label for r in training])

    directory.mkdir(parents=True, exist_ok=True)
    tokenizer.save(str(directory / "tokenizer.json"))
    onnx.save(_graph(classifier, tokenizer.get_vocab_size()), str(directory / "model.onnx"))
    config = {
        "id2label": {str(i): str(label) for i, label in enumerate(classifier.classes_)},
        "max_position_embeddings": 512,
        "languages": ["en"],
    }
    (directory / "config.json").write_text(json.dumps(config))
    return MadeModel(directory, tokenizer, classifier, testing)


def _counts(tokenizer: Tokenizer, texts: list[str]) -> Any:
    unknown = tokenizer.token_to_id(UNKNOWN_TOKEN)
    rows, columns = [], []
    for row, encoding in enumerate(tokenizer.encode_batch(texts)):
        ids = [i for i in encoding.ids if i != unknown]
        rows.extend([row] * len(ids))
        columns.extend(ids)
    values = numpy.ones(len(rows))
    shape = (len(texts), tokenizer.get_vocab_size())
    return sparse.csr_matrix((values, (rows, columns)), shape=shape)


def _graph(classifier: LogisticRegression, vocabulary: int) -> onnx.ModelProto:
    weights = classifier.coef_.T.astype(numpy.float32)  # tokens x labels
    assert weights.shape[0] == vocabulary
    weights[0] = 0.0  # the unknown token counts for nothing, as in training
    nodes = [
        helper.make_node("Gather", ["weights", "input_ids"], ["per_token"], axis=0),
        helper.make_node("Cast", ["attention_mask"], ["mask"], to=TensorProto.FLOAT),
        helper.make_node("Unsqueeze", ["mask", "last_axis"], ["mask_3d"]),
        helper.make_node("Mul", ["per_token", "mask_3d"], ["masked"]),
        helper.make_node("ReduceSum", ["masked", "sequence_axis"], ["summed"], keepdims=0),
        helper.make_node("Add", ["summed", "intercepts"], ["logits"]),
    ]
    labels = len(classifier.classes_)
    graph = helper.make_graph(
        nodes,
        "bag_of_words_sentiment",
        inputs=[
            helper.make_tensor_value_info("input_ids", TensorProto.INT64, ["batch", "tokens"]),
            helper.make_tensor_value_info("attention_mask", TensorProto.INT64, ["batch", "tokens"]),
        ],
        outputs=[helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", labels])],
        initializer=[
            numpy_helper.from_array(weights, "weights"),
            numpy_helper.from_array(classifier.intercept_.astype(numpy.float32), "intercepts"),
            numpy_helper.from_array(numpy.array([2], dtype=numpy.int64), "last_axis"),
            numpy_helper.from_array(numpy.array([1], dtype=numpy.int64), "sequence_axis"),
        ],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", OPSET)])
    model.ir_version = 8  # readable by every onnxruntime this project accepts
    onnx.checker.check_model(model)
    return model
