#!/usr/bin/env python3
"""gen_limit.py — writes one large input for the tests in tests/lit/limits.

    python3 gen_limit.py KIND N > FILE

KIND names the shape (nested parentheses, many kernels, ...), N its size.
Inputs this big are generated when the test runs, never checked in.
"""
import sys

BODY = "kernel k(x: f32[N], y: out f32[N]) grid(1) {\n%s}\n"
IR_HEAD = ("kernel @k(%%o: tensor<out i32[1]>)\ngrid {\n  %%g = const 1 : i32\n  yield %%g\n}\n{\n"
           "  %%c0 = const 0 : i32\n  %%c1 = const 1 : i32\n%s}\n")


def tile(kind, n):
    if kind == "parens":
        return BODY % ("let a = " + "(" * n + "1" + ")" * n + ";\n")
    if kind == "blocks":
        return BODY % ("{" * n + "}" * n + "\n")
    if kind == "ifs":
        return BODY % ("if true {" * n + "}" * n + "\n")
    if kind == "fors":
        return BODY % ("for i in range(1) {" * n + "}" * n + "\n")
    if kind == "unary":
        return BODY % ("let a = " + "-" * n + "1;\n")
    if kind == "ternary":
        return BODY % ("let a = " + "true ? 1 : " * n + "2;\n")
    if kind == "index":
        return BODY % ("let t = zeros([4], f32);\nlet a = t" + "[:]" * n + ";\n")
    if kind == "elses":
        return BODY % ("if true { } " + "else if true { } " * n + "\n")
    if kind == "sum":
        return BODY % ("let a = " + " + ".join(["1"] * n) + ";\n")
    if kind == "list":
        return BODY % ("let a = zeros([" + ", ".join(["1"] * n) + "], f32);\n")
    if kind == "args":
        return BODY % ("let a = exp(" + ", ".join(["1.0"] * n) + ");\n")
    if kind == "lets":
        return BODY % "".join("let v%d = v%d + 1;\n" % (i, i - 1) if i else "let v0 = 1;\n" for i in range(n))
    if kind == "assigns":
        return BODY % ("var v = 0;\n" + "v += 1;\n" * n + "store(y, [0], cast(full([1], v, i32), f32));\n")
    if kind == "kernels":
        return "".join("kernel k%d(x: f32[N], y: out f32[N]) grid(cdiv(N, 64)) {\n"
                       "    let i = program_id(0) * 64;\n"
                       "    store(y, [i], load(x, [i], [64]) * 2.0);\n}\n" % i for i in range(n))
    if kind == "params":
        return "kernel k(" + ", ".join("p%d: f32" % i for i in range(n)) + ") grid(1) {\n}\n"
    if kind == "const_params":
        return "kernel k<" + ", ".join("C%d: int = 1" % i for i in range(n)) + ">(x: f32[N]) grid(1) {\n}\n"
    if kind == "ident":
        return BODY % ("let " + "a" * n + " = 1;\n")
    if kind == "comment":
        return "// " + "x" * n + "\n" + BODY % ""
    if kind == "errors":
        return BODY % ("let = ;\n" * n)
    if kind == "int_literal":
        return BODY % ("let a = " + "9" * n + ";\n")
    return None


def tir(kind, n):
    if kind == "ir_ifs":
        return IR_HEAD % ("  %b = const true : bool\n" + "  if %b {\n" * n + "  yield\n  } else {\n  yield\n  }\n" * n)
    if kind == "ir_values":
        return IR_HEAD % ("  %v0 = add %c1, %c1 : i32\n" + "".join("  %%v%d = add %%v%d, %%c1 : i32\n" % (i, i - 1)
                                                                for i in range(1, n)))
    if kind == "ir_kernels":
        return "".join((IR_HEAD % "").replace("@k", "@k%d" % i) for i in range(n))
    if kind == "ir_operands":
        return IR_HEAD % ("  store %o" + ", %c0" * n + "\n")
    return None


def main():
    kind, n = sys.argv[1], int(sys.argv[2])
    text = tile(kind, n) if not kind.startswith("ir_") else tir(kind, n)
    if text is None:
        sys.exit("gen_limit.py: unknown kind " + kind)
    sys.stdout.write(text)


if __name__ == "__main__":
    main()
