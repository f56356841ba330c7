"""Answers to the exercises of notebooks/04_configuration.ipynb: for each, a solution and a plausible mistake.

scripts/make_solutions.py turns them into the solutions notebook; the mistake must be refused by the check."""

# %% exercise 1 solution
three_layers = AutoModel.from_config(AutoConfig.from_pretrained(ENCODER, num_hidden_layers=3))
n_params_3_layers = three_layers.num_parameters()
f"{n_params_3_layers:,}"

# %% exercise 1 mistake
n_params_3_layers = pretrained.num_parameters() * 3 // pretrained.config.num_hidden_layers  # forgets the embeddings

# %% exercise 2 solution
stars = ["1 star"] + [f"{n} stars" for n in range(2, 6)]
stars_config = AutoConfig.from_pretrained(ENCODER, id2label=dict(enumerate(stars)), label2id={s: i for i, s in enumerate(stars)})
stars_config.num_labels, stars_config.id2label[4]

# %% exercise 2 mistake
stars_config = AutoConfig.from_pretrained(ENCODER, num_labels=5)  # five labels, but no names
