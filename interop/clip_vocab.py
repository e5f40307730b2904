"""The byte-level BPE vocabulary of OpenAI CLIP's tokenizer, shared by the fixture generators
(make_fixtures.py's tiny tokenizer, make_clip_bin.py's merge-free one). Standard library only."""
import collections


def bytes_to_unicode():
    """As OpenAI CLIP's simple_tokenizer.bytes_to_unicode: byte value -> the printable character standing for it."""
    bs = list(range(ord("!"), ord("~") + 1)) + list(range(ord("¡"), ord("¬") + 1)) + list(range(ord("®"), ord("ÿ") + 1))
    cs = bs[:]
    n = 0
    for b in range(2 ** 8):
        if b not in bs:
            bs.append(b)
            cs.append(2 ** 8 + n)
            n += 1
    return dict(zip(bs, [chr(c) for c in cs]))


def byte_vocab(merges=(), specials=("<|startoftext|>", "<|endoftext|>")):
    """token -> id: the 256 byte symbols, the same with </w>, one token a merge ("a b" -> "ab"), then the specials."""
    vocab = list(bytes_to_unicode().values())
    vocab = vocab + [v + "</w>" for v in vocab]
    vocab += ["".join(m.split()) for m in merges]
    vocab += list(specials)
    return collections.OrderedDict((v, i) for i, v in enumerate(vocab))
