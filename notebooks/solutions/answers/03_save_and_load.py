"""Answers to the exercises of notebooks/03_save_and_load.ipynb: for each, a solution and a plausible mistake.

scripts/make_solutions.py turns them into the solutions notebook; the mistake must be refused by the check."""

# %% exercise 1 solution
tokenizer_dir = Path("outputs/03_tokenizer_only")
tokenizer.save_pretrained(tokenizer_dir)
tokenizer_files = sorted(p.name for p in tokenizer_dir.iterdir())
tokenizer_files

# %% exercise 1 mistake
tokenizer.save_pretrained(tokenizer_dir)
tokenizer_files = sorted(str(p) for p in tokenizer_dir.iterdir())  # paths, not file names

# %% exercise 2 solution
small_dir = Path("outputs/03_small_shards")
model.save_pretrained(small_dir, max_shard_size=model.num_parameters() * 4 // 10)
n_shards = len(list(small_dir.glob("model-*-of-*.safetensors")))
n_shards

# %% exercise 2 mistake
model.save_pretrained(small_dir, max_shard_size=model.num_parameters() * 4 // 10)
n_shards = len(list(small_dir.iterdir()))  # every file, not only the shards
