"""A checkpoint loads only as its config.json describes it (xbench.models.load_check): a task head may
be new or of another label count; any other new, reshaped or dropped weight, a config no model can be
built from and a damaged tokenizer file are one-line errors naming the file."""

from __future__ import annotations

import json
import shutil

import pytest

from helpers.tiny_model import make_tiny_model
from xbench.errors import UserError
from xbench.models.hf import HFAdapter

SEQ = "AutoModelForSequenceClassification"


@pytest.fixture(scope="module")
def tiny(tmp_path_factory):
    return make_tiny_model(tmp_path_factory.mktemp("tiny"))


@pytest.fixture
def model(tiny, tmp_path):
    dst = tmp_path / "model"
    shutil.copytree(tiny, dst)
    return dst


def edit_config(folder, **fields):
    doc = json.loads((folder / "config.json").read_text())
    (folder / "config.json").write_text(json.dumps({**doc, **fields}))


def load(folder, auto_class=SEQ, **kwargs):
    if auto_class != "AutoModel":
        kwargs.setdefault("ignore_mismatched_sizes", True)
    return HFAdapter().load_model(str(folder), auto_class, **kwargs)


def saved_with_head(folder, cls_name, **kwargs):
    import transformers

    getattr(transformers, cls_name).from_pretrained(folder, **kwargs).save_pretrained(folder)


def test_a_head_of_another_label_count_and_a_new_head_are_allowed(model):
    saved_with_head(model, "BertForSequenceClassification", num_labels=3)
    fitted = load(model, num_labels=5)
    assert fitted.classifier.out_features == 5
    assert load(model, "AutoModelForTokenClassification", num_labels=7).classifier.out_features == 7


def test_a_checkpoint_without_a_pooler_loads_for_a_head_that_uses_one(model):
    # checkpoints saved from tagging or masked-LM models have no pooler: it is new, like the head
    saved_with_head(model, "BertForTokenClassification", num_labels=7)
    load(model, num_labels=3)
    load(model, "AutoModel")


def test_weights_of_another_shape_name_config_json_and_the_first_weight(model):
    edit_config(model, hidden_size=64)
    with pytest.raises(UserError) as err:
        load(model, num_labels=3)
    msg = str(err.value)
    assert msg.startswith(f"{model / 'config.json'}: ")
    assert "bert.embeddings.word_embeddings.weight is [120, 32] in the checkpoint but [120, 64] by config.json" in msg
    assert "hidden_size" in msg and "(fix: " in msg
    with pytest.raises(UserError, match=r"embeddings\.word_embeddings\.weight is \[120, 32\]"):
        load(model, "AutoModel")  # retrieval: no head at all, every weight counts


def test_layers_the_weights_lack_or_hold_beyond_the_config(model):
    edit_config(model, num_hidden_layers=3)
    with pytest.raises(UserError, match=r"lack bert\.encoder\.layer\.2\..* newly initialised"):
        load(model, num_labels=3)
    edit_config(model, num_hidden_layers=1)
    with pytest.raises(UserError, match=r"hold encoder\.layer\.1\..*would be dropped"):
        load(model, num_labels=3)
    edit_config(model, num_hidden_layers=-1)
    with pytest.raises(UserError, match=r"would be dropped \(config.json has num_hidden_layers -1\)"):
        load(model, num_labels=3)


def test_model_type_of_another_architecture(model, tmp_path):
    relabelled = tmp_path / "relabelled"
    shutil.copytree(model, relabelled)
    edit_config(relabelled, model_type="roberta")  # names fit roberta's once prefixed: caught by architectures
    with pytest.raises(UserError, match=r"model_type is 'roberta', but the weights were saved from BertModel"):
        load(relabelled, num_labels=3)
    saved_with_head(model, "BertForSequenceClassification", num_labels=3)
    edit_config(model, model_type="roberta", architectures=None)
    with pytest.raises(UserError) as err:
        load(model, num_labels=3)
    assert "none of the weights in model.safetensors have the names model_type 'roberta'" in str(err.value)
    assert "'bert.…'" in str(err.value)


@pytest.mark.parametrize("fields, named", [({"max_position_embeddings": -1}, "'max_position_embeddings'"),
                                           ({"hidden_size": 0}, "'hidden_size'"),
                                           ({"num_attention_heads": 3}, "not a multiple")])
def test_a_config_no_model_can_be_built_from(model, fields, named):
    edit_config(model, **fields)
    with pytest.raises(UserError) as err:
        load(model, num_labels=3)
    assert str(err.value).startswith(f"{model / 'config.json'}: no model can be built from it")
    assert named in str(err.value)


def test_a_sound_checkpoint_and_a_causal_lm_load(model, tmp_path):
    from helpers.tiny_causal_lm import make_tiny_causal_lm
    from xbench.models.causal_lm import CausalLMAdapter

    load(model, num_labels=3)
    load(model, "AutoModel")
    CausalLMAdapter().load_model(str(make_tiny_causal_lm(tmp_path / "lm")))


def bert_vocab_only(folder, text):
    (folder / "tokenizer.json").unlink()
    doc = json.loads((folder / "tokenizer_config.json").read_text())
    doc.pop("backend", None)
    (folder / "tokenizer_config.json").write_text(json.dumps({**doc, "tokenizer_class": "BertTokenizer"}))
    (folder / "vocab.txt").write_text(text)


def test_damaged_tokenizer_files_are_named(model):
    adapter = HFAdapter()
    adapter.load_tokenizer(str(model))
    text = (model / "tokenizer.json").read_text()
    (model / "tokenizer.json").write_text(text[:len(text) // 2])
    with pytest.raises(UserError, match=r"tokenizer\.json:\d+: the JSON ends early.*re-save the tokenizer"):
        adapter.load_tokenizer(str(model))
    (model / "tokenizer.json").write_text(text)
    bert_vocab_only(model, "")
    with pytest.raises(UserError, match=r"vocab\.txt: is empty"):  # loads, then cannot encode: no [UNK]
        adapter.load_tokenizer(str(model))
    (model / "vocab.txt").write_text("[PAD]\n[UNK]\n[CLS]\n[SEP]\n[MASK]\na\nb\nc\n")
    with pytest.raises(UserError, match=r"the tokenizer has 8 tokens but .*config\.json says vocab_size 120"):
        adapter.load_tokenizer(str(model))  # encodes, but is not this model's vocabulary
    ids = json.loads(text)["model"]["vocab"]  # the model's own WordPiece vocabulary, as vocab.txt
    (model / "vocab.txt").write_text("".join(f"{t}\n" for t, _ in sorted(ids.items(), key=lambda kv: kv[1])))
    assert adapter.load_tokenizer(str(model))("a b")["input_ids"]


def test_a_tokenizer_config_without_its_vocabulary_is_refused(model):
    bert_vocab_only(model, "")
    (model / "vocab.txt").unlink()  # tokenizer_config.json alone: the special tokens, every word [UNK]
    with pytest.raises(UserError, match=r"the tokenizer has \d tokens .*vocab_size 120.*tokenizer files: "
                                        r"tokenizer_config\.json\).*save the model's own tokenizer"):
        HFAdapter().load_tokenizer(str(model))


def test_auto_map_is_refused_on_a_known_model_type_unless_remote_code_is_trusted(model):
    edit_config(model, auto_map={"AutoModel": "custom.Model"})  # model_type stays bert
    adapter = HFAdapter()
    for load_it in (lambda: adapter.load_tokenizer(str(model)), lambda: load(model)):
        with pytest.raises(UserError, match=r"config\.json: asks to run Python code shipped with the model \(auto_map\)"
                                            r".*--trust-remote-code"):
            load_it()
    adapter.trust_remote_code = True
    adapter.refuse_remote_code(str(model))  # the user's explicit permission: not refused by xbench


def test_an_empty_sentencepiece_model_is_named(tmp_path):
    from xbench.models.load_check import tokenizer_error

    (tmp_path / "sentencepiece.bpe.model").write_bytes(b"")
    (tmp_path / "tokenizer_config.json").write_text('{"tokenizer_class": "XLMRobertaTokenizer"}')
    msg = str(tokenizer_error(str(tmp_path), RuntimeError("Internal: could not parse ModelProto")))
    assert msg.startswith(f"{tmp_path / 'sentencepiece.bpe.model'}: is empty") and "(fix: re-save" in msg
    (tmp_path / "sentencepiece.bpe.model").write_bytes(b"\x00junk")
    msg = str(tokenizer_error(str(tmp_path), RuntimeError("Internal: could not parse ModelProto")))
    assert "sentencepiece.bpe.model: cannot be read as a sentencepiece model (Internal" in msg


def test_a_tokenizer_json_cut_anywhere_is_reported_as_cut_short(tiny, tmp_path):
    from xbench.models.load_check import damaged_tokenizer_file

    text = (tiny / "tokenizer.json").read_text()
    target = tmp_path / "tokenizer.json"
    for cut in range(1, len(text) - 1, 3):  # inside strings, numbers, true/false/null, between items
        target.write_text(text[:cut])
        where, what = damaged_tokenizer_file(tmp_path)
        assert what.startswith("the JSON ends early"), (cut, what)
    target.write_text(text.replace('"model"', '"model" x', 1))
    assert damaged_tokenizer_file(tmp_path)[1].startswith("not valid JSON (Expecting ':' delimiter")
