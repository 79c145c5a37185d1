"""The two encoders of the embedding model: ONNX Runtime on the file exported at install, and
sentence-transformers on torch. They must give the same vectors; ONNX is the default; a missing
or foreign ONNX file falls back to torch with a warning; their vectors are cached apart."""
from __future__ import annotations

import json

import numpy as np
import pytest

from checker.corpus import list_files, load_corpus
from checker.embeddings import EmbeddingStore
from checker.export_onnx import CHECK_SENTENCES, ExportError, check_onnx, export_onnx
from checker.model import (EXPORT_FORMAT, EncoderFallbackWarning, OnnxModel, SentenceTransformerModel,
                           default_onnx_path, manifest_path, onnx_problem, shared_model, source_digest)
from checker.settings import SettingsError, load_settings

EXTRA = ["Do NOT drive for 24 hours.", "Dial 999.", "Nil by mouth from midnight.",
         "Take one 75 mg aspirin tablet each morning with food, unless your doctor tells you otherwise.",
         "Les enfants de moins de 12 ans : 5 ml.", "Ring 0161 496 0000 (8am–6pm, Mon–Fri).",
         " ".join(["Keep the catheter bag below the level of your bladder at all times."] * 25)]


@pytest.fixture(scope="session")
def torch_model(settings) -> SentenceTransformerModel:
    """The torch encoder, loaded once per test process (only these tests need it)."""
    model = shared_model(settings.replace(encoder="torch"))
    assert isinstance(model, SentenceTransformerModel)
    return model


def onnx_of(engine) -> OnnxModel:
    model = engine.store.model
    assert isinstance(model, OnnxModel), (
        f"the engine encodes with {type(model).__name__}: {onnx_problem(engine.settings)} (run `make install`)")
    return model


def test_the_engine_encodes_with_onnx_by_default(engine):
    assert engine.settings.encoder == "onnx"
    assert onnx_of(engine).name == "all-MiniLM-L6-v2+onnx"


def test_onnx_vectors_equal_torch_vectors_on_varied_sentences(engine, torch_model, examples_corpus):
    corpus = load_corpus(engine, list_files(examples_corpus))
    texts = list(dict.fromkeys(s.judged_text for s in [*corpus.protocols, *corpus.documents]))[::2] + EXTRA
    onnx, reference = onnx_of(engine).encode(texts), torch_model.encode(texts)
    assert onnx.shape == reference.shape == (len(texts), 384) and onnx.dtype == np.float32
    assert np.allclose(np.linalg.norm(onnx, axis=1), 1.0, atol=1e-5)
    cosines = np.sum(onnx * reference, axis=1)
    assert len(texts) > 100 and cosines.min() >= 0.9999, texts[int(cosines.argmin())]
    assert np.abs(onnx - reference).max() < 1e-5  # the same model to float precision


def test_onnx_vectors_do_not_depend_on_the_batch(engine, settings):
    texts = EXTRA + list(CHECK_SENTENCES)
    in_pairs = OnnxModel(settings.replace(encode_batch_size=2)).encode(texts)
    assert np.abs(in_pairs - onnx_of(engine).encode(texts)).max() < 1e-5


@pytest.mark.parametrize("variables, variable", [
    ({"TOUCHPOINT_ENCODER": "tensorflow"}, "TOUCHPOINT_ENCODER"),
    ({"TOUCHPOINT_ENCODER": ""}, "TOUCHPOINT_ENCODER"),
    ({"TOUCHPOINT_DEVICE": "cuda"}, "TOUCHPOINT_ENCODER=onnx runs on the CPU"),
    ({"TOUCHPOINT_ENCODE_THREADS": "-1"}, "TOUCHPOINT_ENCODE_THREADS"),
    ({"TOUCHPOINT_ENCODE_THREADS": "two"}, "TOUCHPOINT_ENCODE_THREADS"),
])
def test_a_bad_encoder_setting_stops_with_its_variable(variables, variable):
    with pytest.raises(SettingsError, match=variable):
        load_settings(environ=variables)


def test_the_encoder_settings_parse():
    settings = load_settings(environ={"TOUCHPOINT_ENCODER": "torch", "TOUCHPOINT_DEVICE": "cuda",
                                      "TOUCHPOINT_ENCODE_THREADS": "2", "TOUCHPOINT_ONNX_PATH": "/x.onnx"})
    assert (settings.encoder, settings.encode_threads, str(default_onnx_path(settings))) == ("torch", 2, "/x.onnx")
    assert load_settings(environ={}).encode_threads == 1


def test_a_missing_onnx_file_falls_back_to_torch_with_a_warning(settings, tmp_path):
    with pytest.warns(EncoderFallbackWarning, match="absent.onnx is missing; encoding with torch"):
        model = shared_model(settings.replace(onnx_path=str(tmp_path / "absent.onnx")))
    assert isinstance(model, SentenceTransformerModel) and model.name == "all-MiniLM-L6-v2"


def test_an_onnx_file_exported_from_other_weights_falls_back(settings, tmp_path):
    installed = default_onnx_path(settings)
    manifest = json.loads(manifest_path(installed).read_text(encoding="utf-8"))
    foreign = settings.replace(onnx_path=str(tmp_path / "foreign.onnx"))
    (tmp_path / "foreign.onnx").write_bytes(b"not read")
    manifest_path(default_onnx_path(foreign)).write_text(json.dumps(
        {**manifest, "source_stats": [], "source_sha256": "0" * 64}), encoding="utf-8")
    assert "other model files" in onnx_problem(foreign)
    with pytest.warns(EncoderFallbackWarning, match="other model files"):
        assert isinstance(shared_model(foreign), SentenceTransformerModel)
    # the same bytes with other file times (a reinstall) are still the same model
    manifest_path(default_onnx_path(foreign)).write_text(json.dumps(
        {**manifest, "source_stats": []}), encoding="utf-8")
    assert manifest["source_sha256"] == source_digest(settings.model_path) and onnx_problem(foreign) is None
    # an export of an older format is not used
    manifest_path(default_onnx_path(foreign)).write_text(json.dumps({**manifest, "format": EXPORT_FORMAT - 1}))
    assert "another version of the export" in onnx_problem(foreign)


def test_torch_and_onnx_vectors_are_cached_apart(engine, settings, torch_model, tmp_path):
    cached = settings.replace(cache_dir=str(tmp_path))
    texts = ["Keep the wound dry.", "Rest for two days."]
    first = EmbeddingStore(cached, model=onnx_of(engine))
    first.embed(texts)
    by_torch = EmbeddingStore(cached, model=torch_model)
    by_torch.embed(texts)
    again = EmbeddingStore(cached, model=onnx_of(engine))
    again.embed(texts)
    assert (first.computed, by_torch.computed, by_torch.reused, again.computed) == (2, 2, 0, 0)


def test_an_export_into_a_new_place_passes_its_check_and_is_not_redone(settings, torch_model, tmp_path):
    target = settings.replace(onnx_path=str(tmp_path / "model.onnx"))
    manifest, built = export_onnx(target, reference=torch_model)
    assert built and (tmp_path / "model.onnx").is_file() and onnx_problem(target) is None
    assert manifest["check"]["min_cosine"] >= 0.9999 and manifest["check"]["sentences"] == len(CHECK_SENTENCES)
    assert export_onnx(target, reference=torch_model) == (manifest, False)


def test_the_check_refuses_an_onnx_file_that_does_not_reproduce_the_model(settings, torch_model, tmp_path):
    onnx = pytest.importorskip("onnx")
    from onnx import TensorProto, helper, numpy_helper

    weights = numpy_helper.from_array(np.random.default_rng(1).normal(size=384).astype(np.float32), "w")
    axes = numpy_helper.from_array(np.array([2], dtype=np.int64), "axes")
    nodes = [helper.make_node("Cast", ["input_ids"], ["ids"], to=TensorProto.FLOAT),
             helper.make_node("Unsqueeze", ["ids", "axes"], ["column"]),
             helper.make_node("Mul", ["column", "w"], ["last_hidden_state"])]
    inputs = [helper.make_tensor_value_info(name, TensorProto.INT64, ["batch", "tokens"])
              for name in ("input_ids", "attention_mask", "token_type_ids")]
    output = helper.make_tensor_value_info("last_hidden_state", TensorProto.FLOAT, ["batch", "tokens", 384])
    graph = helper.make_graph(nodes, "wrong", inputs, [output], initializer=[weights, axes])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), tmp_path / "wrong.onnx")
    with pytest.raises(ExportError, match="does not reproduce the model"):
        check_onnx(settings, tmp_path / "wrong.onnx", reference=torch_model)
