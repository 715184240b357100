#!/usr/bin/env python3
"""gen_kernels.py — writes valid-looking .tile kernels into a seed corpus.

The fuzz targets start from these so that mutations reach sema, the passes
and the interpreter, not only the parser. Each kernel is built from a typed
model of the language: const params (int, bool, float, dtype), tensor params
with size names, a grid clause, let/var, loops with carried vars, ifs, loads,
stores, dot, reductions, broadcasts and casts. Tile extents are mostly powers
of two, sometimes not, sometimes huge; dtypes vary. Most kernels pass sema;
the rest fail it near a limit or a rule, which is what a fuzzer wants too.

    python3 gen_kernels.py OUT_DIR [--count N] [--seed S]

Python 3 standard library only; the same seed gives the same files.
"""
import argparse
import os
import random

FLOATS = ["f32", "f16", "bf16", "f64"]
INTS = ["i32", "i8", "i16", "i64", "u8", "u32"]
UNARY = ["exp", "exp2", "log", "log2", "sqrt", "rsqrt", "abs", "tanh", "sigmoid", "erf"]


class Gen:
    """Builds one kernel; `out` collects lines, `scope` maps names to types.

    A type is ("s", dtype) for a scalar or ("t", dtype, (d0, ...)) for a tile
    whose extents are source expressions (a const name or a literal).
    """

    def __init__(self, rng, index):
        self.rng = rng
        self.index = index
        self.out = []
        self.scope = {}
        self.mutable = set()
        self.counter = 0
        self.consts = {}

    def fresh(self, stem):
        self.counter += 1
        return "%s%d" % (stem, self.counter)

    def extent(self):
        r = self.rng.random()
        if r < 0.9:
            return str(self.rng.choice([1, 2, 4, 8, 16, 32, 64, 128]))
        if r < 0.96:
            return str(self.rng.choice([3, 5, 6, 7, 12, 48, 100]))
        return str(self.rng.choice([1 << 12, 1 << 20, 1 << 24, 1 << 25, 2147483647, 1 << 40]))

    # ---------------------------------------------------------- header

    def header(self):
        rng = self.rng
        self.consts = {"BM": self.extent(), "BN": self.extent(), "BK": self.extent()}
        cps = ["%s: int = %s" % (k, v) for k, v in self.consts.items()]
        self.dt = rng.choice(FLOATS[:3])
        cps.append("T: dtype = %s" % self.dt)
        if rng.random() < 0.5:
            cps.append("FLAG: bool = %s" % rng.choice(["true", "false"]))
            self.scope["FLAG"] = ("s", "bool")
        if rng.random() < 0.3:
            cps.append("EPS: float = %s" % rng.choice(["1e-5", "0.5", "1e30", "inf"]))
            self.scope["EPS"] = ("s", "f32")
        for k in self.consts:
            self.scope[k] = ("s", "i32")
        rng.shuffle(cps)
        params = ["a: T[M, K]", "b: T[K, N]", "c: out f32[M, N]"]
        self.scope.update({"M": ("s", "i32"), "N": ("s", "i32"), "K": ("s", "i32")})
        if rng.random() < 0.5:
            params.append("alpha: f32")
            self.scope["alpha"] = ("s", "f32")
        if rng.random() < 0.3:
            params.append("v: %s[N]" % rng.choice(["f32", "T", "i32"]))
        if rng.random() < 0.3:
            params.append("n: i32")
            self.scope["n"] = ("s", "i32")
        if rng.random() < 0.2:
            params.append("q: f16[Z, H, S, D]")
        grid = rng.choice(["cdiv(M, BM), cdiv(N, BN)", "cdiv(M, BM)", "1", "M, N, 2", "cdiv(M * N, BM)"])
        clauses = "grid(%s)" % grid
        if rng.random() < 0.3:
            clauses += " warps(%d)" % rng.choice([1, 2, 4, 8, 8, 4, 3])
        name = "k%d_%s" % (self.index, rng.choice(["gemm", "softmax", "norm", "mix", "red"]))
        return "kernel %s<%s>(%s)\n    %s\n{" % (name, ", ".join(cps), ", ".join(params), clauses)

    # ------------------------------------------------------ expressions

    def names_of(self, pred):
        return [n for n, t in self.scope.items() if pred(t)]

    def scalar_int(self, depth=0):
        rng = self.rng
        names = self.names_of(lambda t: t == ("s", "i32"))
        r = rng.random()
        if r < 0.35 and names:
            return rng.choice(names)
        if r < 0.5:
            return str(rng.choice([0, 1, 2, 3, 7, 64, 1000, 2147483647, -1]))
        if r < 0.6:
            return "program_id(%d)" % rng.choice([0, 0, 1, 2])
        if r < 0.65:
            return "num_programs(0)"
        if depth > 2:
            return str(rng.randint(0, 9))
        op = rng.choice(["+", "-", "*", "/", "%", "<<", "&"])
        if op in "/%" and rng.random() < 0.9:
            return "(%s %s %d)" % (self.scalar_int(depth + 1), op, rng.randint(1, 9))
        if op == "*" and rng.random() < 0.3:
            return "cdiv(%s, %s)" % (self.scalar_int(depth + 1), rng.choice(list(self.consts)))
        return "(%s %s %s)" % (self.scalar_int(depth + 1), op, self.scalar_int(depth + 1))

    def scalar_bool(self):
        rng = self.rng
        if "FLAG" in self.scope and rng.random() < 0.3:
            return rng.choice(["FLAG", "!FLAG"])
        op = rng.choice(["<", "<=", ">", ">=", "==", "!="])
        e = "%s %s %s" % (self.scalar_int(1), op, self.scalar_int(1))
        if rng.random() < 0.2:
            e = "(%s) && (%s)" % (e, self.scalar_bool())
        return e

    def tile(self, dt, shape, depth=0):
        """An expression of tile type dt[shape] (shape: tuple of extent texts)."""
        rng = self.rng
        same = self.names_of(lambda t: t[0] == "t" and t[1] == dt and t[2] == shape)
        r = rng.random()
        if same and r < 0.35:
            return rng.choice(same)
        shp = "[%s]" % ", ".join(shape)
        if depth > 3 or r < 0.45:
            fill = rng.choice(["1.5", "-inf", "0", "2"] if dt in FLOATS else ["0", "1", "-3", "127"])
            return rng.choice(["zeros(%s, %s)" % (shp, dt), "full(%s, %s, %s)" % (shp, fill, dt)])
        r = rng.random()
        if r < 0.25:
            op = rng.choice(["+", "-", "*", "/"] if dt in FLOATS else ["+", "-", "*", "&", "|", "^"])
            return "(%s %s %s)" % (self.tile(dt, shape, depth + 1), op, self.tile(dt, shape, depth + 1))
        if r < 0.35:
            if dt not in FLOATS:
                return "(%s * %d)" % (self.tile(dt, shape, depth + 1), rng.randint(0, 5))
            scale = "alpha" if "alpha" in self.scope and dt in ("f32", "f64") else rng.choice(["2.0", "0.5", "3.0"])
            return "(%s * %s)" % (self.tile(dt, shape, depth + 1), scale)
        if r < 0.45 and dt in FLOATS:
            return "%s(%s)" % (rng.choice(UNARY), self.tile(dt, shape, depth + 1))
        if r < 0.55:
            a, b = self.tile(dt, shape, depth + 1), self.tile(dt, shape, depth + 1)
            return "where(%s > %s, %s, %s)" % (a, b, a, self.tile(dt, shape, depth + 1))
        if r < 0.62:
            return "%s(%s, %s)" % (rng.choice(["maximum", "minimum"]), self.tile(dt, shape, depth + 1), self.tile(dt, shape, depth + 1))
        if r < 0.7:
            src = rng.choice([d for d in FLOATS + INTS if d != dt])
            return "cast(%s, %s)" % (self.tile(src, shape, depth + 1), dt)
        if r < 0.8 and len(shape) == 2:
            red = self.tile(dt, shape, depth + 1)
            if rng.random() < 0.5:
                return "%s(%s, axis=1)[:, None] + %s" % (rng.choice(["sum", "max", "min"]), red, self.tile(dt, shape, depth + 1))
            return "broadcast_to(%s(%s, axis=0)[None, :], %s)" % (rng.choice(["sum", "max", "min"]), red, shp)
        if r < 0.88 and len(shape) == 2 and dt == "f32":
            kk = rng.choice(list(self.consts))
            x = self.tile("f16", (shape[0], kk), depth + 1)
            y = self.tile("f16", (kk, shape[1]), depth + 1)
            if rng.random() < 0.5:
                return "dot(%s, %s)" % (x, y)
            return "(%s @ %s)" % (x, y)
        if r < 0.93 and len(shape) == 2:
            return "trans(%s)" % self.tile(dt, (shape[1], shape[0]), depth + 1)
        if r < 0.97 and len(shape) == 1:
            return "cast(arange(%s), %s)" % (shape[0], dt) if dt != "i32" else "arange(%s)" % shape[0]
        if len(shape) != 2:
            return "zeros(%s, %s)" % (shp, dt)
        pad = ", pad=%s" % rng.choice(["-inf", "0", "1.0"]) if rng.random() < 0.2 else ""
        ld = "load(%s, [%s, %s], %s%s)" % (rng.choice(["a", "b"]), self.scalar_int(1), self.scalar_int(1), shp, pad)
        return ld if dt == self.dt else "cast(%s, %s)" % (ld, dt)

    # -------------------------------------------------------- statements

    def pick_tile_type(self):
        rng = self.rng
        ks = list(self.consts)
        dt = rng.choice(["f32", "f32", "f32", self.dt, rng.choice(INTS)])
        if rng.random() < 0.7:
            return dt, (rng.choice(ks), rng.choice(ks))
        return dt, (rng.choice(ks),)

    def stmt(self, ind, depth):
        rng = self.rng
        r = rng.random()
        pad = "    " * ind
        if r < 0.3:
            dt, shape = self.pick_tile_type()
            name = self.fresh("t")
            kw = "var" if rng.random() < 0.4 else "let"
            self.out.append("%s%s %s = %s;" % (pad, kw, name, self.tile(dt, shape)))
            self.scope[name] = ("t", dt, shape)
            if kw == "var":
                self.mutable.add(name)
        elif r < 0.42:
            name = self.fresh("s")
            kw = rng.choice(["let", "var"])
            self.out.append("%s%s %s = %s;" % (pad, kw, name, self.scalar_int()))
            self.scope[name] = ("s", "i32")
            if kw == "var":
                self.mutable.add(name)
        elif r < 0.55:
            muts = [n for n in self.mutable if n in self.scope]
            if not muts:
                return
            n = rng.choice(muts)
            t = self.scope[n]
            if t[0] == "s":
                self.out.append("%s%s %s %s;" % (pad, n, rng.choice(["=", "+=", "-=", "*="]), self.scalar_int()))
            else:
                self.out.append("%s%s %s %s;" % (pad, n, rng.choice(["=", "+=", "*="]), self.tile(t[1], t[2])))
        elif r < 0.7 and depth < 3:
            iv = self.fresh("it")
            lo, hi = rng.choice([("0", "K"), ("0", "N"), ("1", "8"), ("0", "4"), ("0", "1000000000")])
            step = rng.choice(["", ", " + rng.choice(list(self.consts)), ", 2", ", 3"])
            attrs = rng.choice(["", " pipeline(2)", " unroll(4)", " pipeline(3) unroll(2)"])
            self.out.append("%sfor %s in range(%s, %s%s)%s {" % (pad, iv, lo, hi, step, attrs))
            saved = dict(self.scope)
            self.scope[iv] = ("s", "i32")
            for _ in range(rng.randint(1, 4)):
                self.stmt(ind + 1, depth + 1)
            self.scope = saved
            self.out.append(pad + "}")
        elif r < 0.82 and depth < 3:
            self.out.append("%sif %s {" % (pad, self.scalar_bool()))
            saved = dict(self.scope)
            for _ in range(rng.randint(1, 3)):
                self.stmt(ind + 1, depth + 1)
            self.scope = dict(saved)
            if rng.random() < 0.5:
                self.out.append(pad + "} else {")
                for _ in range(rng.randint(1, 2)):
                    self.stmt(ind + 1, depth + 1)
                self.scope = saved
            self.out.append(pad + "}")
        else:
            ks = list(self.consts)
            shape = (rng.choice(ks), rng.choice(ks))
            self.out.append("%sstore(c, [%s, %s], %s);" % (pad, self.scalar_int(1), self.scalar_int(1), self.tile("f32", shape)))

    def kernel(self):
        self.out.append(self.header())
        self.out.append("    let m0 = program_id(0) * BM;")
        self.out.append("    let n0 = program_id(1) * BN;")
        self.scope["m0"] = self.scope["n0"] = ("s", "i32")
        self.out.append("    var acc = zeros([BM, BN], f32);")
        self.scope["acc"] = ("t", "f32", ("BM", "BN"))
        self.mutable.add("acc")
        for _ in range(self.rng.randint(1, 8)):
            self.stmt(1, 0)
        self.out.append("    store(c, [m0, n0], acc);")
        self.out.append("}")
        return "\n".join(self.out) + "\n"


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("out_dir")
    ap.add_argument("--count", type=int, default=500)
    ap.add_argument("--seed", type=int, default=1)
    args = ap.parse_args()
    os.makedirs(args.out_dir, exist_ok=True)
    rng = random.Random(args.seed)
    for i in range(args.count):
        nkernels = 1 if rng.random() < 0.85 else rng.randint(2, 4)
        text = "".join(Gen(rng, i * 10 + k).kernel() for k in range(nkernels))
        with open(os.path.join(args.out_dir, "gen_%05d.tile" % i), "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
