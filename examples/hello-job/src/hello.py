"""The example job's code: greets, counts the words of a file, writes the count."""

import argparse
import os
from pathlib import Path

parser = argparse.ArgumentParser()
parser.add_argument("--greeting", required=True)
parser.add_argument("--text", required=True)
parser.add_argument("--out", required=True)
args = parser.parse_args()

for _ in range(int(os.environ.get("HELLO_REPEAT", "1"))):
    print(args.greeting)
words = len(Path(args.text).read_text(encoding="utf-8").split())
print(f"{args.text} has {words} words")
Path(args.out, "count.txt").write_text(f"{words}\n", encoding="utf-8")
