# lit configuration for tilec: golden tests of Tile IR, passes and diagnostics.
# Parameters (set by tests/CMakeLists.txt): tilec, llvm_tools_dir, examples_dir.
import os
import lit.formats

config.name = "tilec"
config.test_format = lit.formats.ShTest(execute_external=True)
config.suffixes = [".tile", ".tir"]
config.excludes = ["Inputs"]
config.test_source_root = os.path.dirname(__file__)

params = lit_config.params
tilec = params.get("tilec")
if not tilec:
    lit_config.fatal("pass --param tilec=PATH/TO/tilec")
tools = params.get("llvm_tools_dir", "/usr/lib/llvm-19/bin")
config.environment["PATH"] = os.pathsep.join([tools, config.environment.get("PATH", "/usr/bin:/bin")])
config.substitutions.append(("%tilec", os.path.abspath(tilec)))
config.substitutions.append(("%examples", params.get("examples_dir", "")))

# ptxas (CUDA toolkit) for the nvptx --emit=bin tests; absent: they are
# reported UNSUPPORTED, and the reason is printed here.
import shutil
ptxas = "/usr/local/cuda/bin/ptxas" if os.access("/usr/local/cuda/bin/ptxas", os.X_OK) else shutil.which("ptxas")
if ptxas:
    config.available_features.add("ptxas")
else:
    lit_config.note("ptxas not found (/usr/local/cuda/bin/ptxas, PATH): the tests that assemble PTX are skipped")
# LLVM 14's llvm-as, the check that MUSA-bound IR is text LLVM 14 reads.
llvm_as_14 = "/usr/lib/llvm-14/bin/llvm-as"
if os.access(llvm_as_14, os.X_OK):
    config.available_features.add("llvm-as-14")
    config.substitutions.append(("%llvm-as-14", llvm_as_14))
else:
    lit_config.note("LLVM 14's llvm-as not found at /usr/lib/llvm-14/bin/llvm-as: the LLVM 14 parse tests are skipped")

# The host's AVX-512 (x86-64): the CPU target's packing of a dot's a operand
# by rows runs only where the microkernel's vectors have 16 f32 lanes.
try:
    with open("/proc/cpuinfo") as f:
        host_avx512 = " avx512f" in f.read()
except OSError:
    host_avx512 = False
if host_avx512:
    config.available_features.add("avx512")
else:
    lit_config.note("the host CPU has no AVX-512: the tests that run a dot packed by rows are skipped")
