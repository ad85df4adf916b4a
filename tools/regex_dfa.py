"""Compiles a JSON Schema `pattern` (ECMA-262 syntax, search semantics) into a byte DFA.

The hub matches field values against the spec's patterns on the hot path, so the patterns are
compiled here, at generation time, into plain tables: a byte -> class map and a
state x class -> state transition table. Only the regex subset the DIP spec uses is accepted
(literals, character classes of ASCII ranges and \\d / \\w, groups, alternation, bounded and
unbounded repetition, ^ and $ at the ends). Anything else (look-around, back references, `.`,
negated classes, \\s, non-ASCII literals) makes generation fail, so a spec change that needs more
is noticed instead of being matched wrongly.
"""
try:
    import re._constants as C  # Python >= 3.11
    import re._parser as P
except ImportError:  # pragma: no cover - older Python
    import sre_constants as C
    import sre_parse as P

ALL_BYTES = frozenset(range(256))


class Unsupported(Exception):
    pass


class Nfa:
    def __init__(self):
        self.edges = []  # per state: list of (frozenset of bytes, target)
        self.eps = []  # per state: list of targets

    def state(self):
        self.edges.append([])
        self.eps.append([])
        return len(self.edges) - 1


def _char_set(items):
    out = set()
    for op, arg in items:
        if op == C.LITERAL:
            if arg > 127:
                raise Unsupported("non-ASCII literal in a character class")
            out.add(arg)
        elif op == C.RANGE:
            lo, hi = arg
            if hi > 127:
                raise Unsupported("non-ASCII range in a character class")
            out.update(range(lo, hi + 1))
        elif op == C.CATEGORY:
            if arg == C.CATEGORY_DIGIT:
                out.update(range(ord("0"), ord("9") + 1))
            elif arg == C.CATEGORY_WORD:
                out.update(b for b in range(128) if chr(b).isalnum() or chr(b) == "_")
            else:
                raise Unsupported(f"character category {arg}")
        else:
            raise Unsupported(f"{op} in a character class")
    return frozenset(out)


def _build(nfa, items, start):
    """Adds `items` (a parsed sequence) to the NFA from `start`; returns the end state."""
    cur = start
    for op, arg in items:
        if op == C.LITERAL:
            if arg > 127:
                raise Unsupported("non-ASCII literal")
            nxt = nfa.state()
            nfa.edges[cur].append((frozenset([arg]), nxt))
            cur = nxt
        elif op == C.IN:
            nxt = nfa.state()
            nfa.edges[cur].append((_char_set(arg), nxt))
            cur = nxt
        elif op == C.SUBPATTERN:
            cur = _build(nfa, arg[-1], cur)
        elif op == C.BRANCH:
            end = nfa.state()
            for alt in arg[1]:
                s = nfa.state()
                nfa.eps[cur].append(s)
                nfa.eps[_build(nfa, alt, s)].append(end)
            cur = end
        elif op in (C.MAX_REPEAT, C.MIN_REPEAT):
            lo, hi, sub = arg
            for _ in range(lo):
                cur = _build(nfa, sub, cur)
            if hi == C.MAXREPEAT:
                loop = nfa.state()
                nfa.eps[cur].append(loop)
                body_end = _build(nfa, sub, loop)
                nfa.eps[body_end].append(loop)
                cur = loop
            else:
                end = nfa.state()
                for _ in range(hi - lo):
                    nfa.eps[cur].append(end)
                    cur = _build(nfa, sub, cur)
                nfa.eps[cur].append(end)
                cur = end
        else:
            raise Unsupported(f"regex construct {op}")
    return cur


def _closure(nfa, states):
    stack = list(states)
    seen = set(states)
    while stack:
        s = stack.pop()
        for t in nfa.eps[s]:
            if t not in seen:
                seen.add(t)
                stack.append(t)
    return frozenset(seen)


def compile_pattern(pattern):
    """Returns (byte_classes[256], class_count, transitions[state][class], accepting[state], start).

    State 0 is the dead state. Matching walks the value's bytes from `start`; the value matches
    when the final state is accepting.
    """
    parsed = list(P.parse(pattern))
    anchored_start = bool(parsed) and parsed[0] == (C.AT, C.AT_BEGINNING)
    anchored_end = bool(parsed) and parsed[-1] == (C.AT, C.AT_END)
    body = parsed[1 if anchored_start else 0:len(parsed) - (1 if anchored_end else 0)]
    if any(op == C.AT for op, _ in body):
        raise Unsupported("anchors inside the pattern")
    nfa = Nfa()
    start = nfa.state()
    cur = start
    if not anchored_start:  # search semantics: any prefix
        nfa.edges[cur].append((ALL_BYTES, cur))
    end = _build(nfa, body, cur)
    if not anchored_end:  # any suffix
        nfa.edges[end].append((ALL_BYTES, end))

    # Byte equivalence classes: bytes that every edge treats alike.
    sets = sorted({cs for edges in nfa.edges for cs, _ in edges}, key=lambda s: sorted(s))
    signature = {}
    byte_class = []
    for b in range(256):
        key = tuple(b in cs for cs in sets)
        byte_class.append(signature.setdefault(key, len(signature)))
    class_count = len(signature)
    representative = [0] * class_count
    for b in range(255, -1, -1):
        representative[byte_class[b]] = b

    # Subset construction; DFA state 0 is dead.
    dead = frozenset()
    index = {dead: 0}
    order = [dead]
    first = _closure(nfa, [start])
    index[first] = 1
    order.append(first)
    table = []
    i = 0
    while i < len(order):
        subset = order[i]
        row = []
        for c in range(class_count):
            b = representative[c]
            moved = {t for s in subset for cs, t in nfa.edges[s] if b in cs}
            target = _closure(nfa, moved) if moved else dead
            if target not in index:
                index[target] = len(order)
                order.append(target)
            row.append(index[target])
        table.append(row)
        i += 1
    accepting = [1 if end in subset else 0 for subset in order]
    return byte_class, class_count, table, accepting, 1


def matches(compiled, value):
    """Reference matcher over the compiled tables (used by the generator's self-check)."""
    byte_class, class_count, table, accepting, state = compiled
    for b in value.encode("utf-8"):
        state = table[state][byte_class[b]]
    return accepting[state] == 1
