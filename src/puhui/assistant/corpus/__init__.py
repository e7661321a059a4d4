"""The assistant's own labelled utterances (written for Puhui, kept in the repository).

`train.jsonl` trains the recogniser; `test.jsonl` is a held-out split written apart from it and
never used for tuning. Each line: {"text": ..., "intent": ..., "lang": "zh" | "en"}.
"""
