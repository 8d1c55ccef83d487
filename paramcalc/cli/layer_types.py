"""The layer types the command line knows: one command per type (PyTorch's names lowercased, then
Keras's), what each constructor argument means, and each type's example query (from its spec class).
"""

from __future__ import annotations


def keras_layers() -> dict[str, type]:
    """Keras layer specs by Keras class name, or {} while the Keras names are not available."""
    try:
        from paramcalc import keras_layers as module
    except ImportError:
        return {}
    return dict(getattr(module, "KERAS_LAYERS", {}))


def layer_commands() -> dict[str, tuple[str, type]]:
    """Command name → (layer name, spec class): PyTorch's names lowercased, then Keras's.

    A Keras name whose lowercase form is taken by a PyTorch layer (Conv2D and Conv2d, LSTM)
    becomes ``keras-<name>``.
    """
    from paramcalc.specs import TORCH_LAYERS

    commands = {name.lower(): (name, cls) for name, cls in TORCH_LAYERS.items()}
    for name, cls in keras_layers().items():
        key = name.lower()
        if key in commands:
            if commands[key][1] is cls:
                continue
            key = f"keras-{key}"
        commands[key] = (name, cls)
    return commands


def examples() -> dict[str, tuple[str, str]]:
    """Example queries by command: the expression and an input shape each spec class gives as its ``example``.

    A layer command's example options are derived from the expression, so both forms of every
    example stay in step (tests run them).
    """
    return {key: cls.example for key, (_, cls) in layer_commands().items() if cls.example is not None}


def command_for(name: str) -> str | None:
    """The command of a layer given by its class name (``Conv2D`` → ``keras-conv2d``), command name, or any case."""
    commands = layer_commands()
    for key, (layer, _) in commands.items():
        if layer == name:
            return key
    key = name.lower()
    return key if key in commands else None


#: What each constructor argument means, for the generated options' help (specs may override with
#: a Field description).
ARGUMENT_HELP = {
    "in_features": "size of each input sample (the last dimension)",
    "out_features": "size of each output sample",
    "bias": "learn an additive bias",
    "in_channels": "channels of the input",
    "out_channels": "channels of the output (number of filters)",
    "kernel_size": "size of the window",
    "stride": "step between windows",
    "padding": "zeros added on both sides of each spatial dimension",
    "dilation": "spacing between kernel elements",
    "groups": "split the channels into this many blocked groups",
    "padding_mode": "how the padding values are made",
    "output_padding": "extra size added to one side of each output dimension",
    "return_indices": "also return the positions of the maxima",
    "ceil_mode": "round output sizes up instead of down",
    "count_include_pad": "count the zero-padding in the average",
    "divisor_override": "divide by this instead of the window size",
    "output_size": "target output size; none keeps the input size",
    "num_features": "channels C of an (N, C, ...) input",
    "eps": "added to the variance for numerical stability",
    "momentum": "weight of the newest batch in the running statistics; none for a plain average",
    "affine": "learn a scale (gamma) and a shift (beta)",
    "track_running_stats": "keep a running mean and variance (buffers)",
    "normalized_shape": "trailing dimensions to normalise over",
    "num_groups": "groups the channels are split into (must divide num_channels)",
    "num_channels": "channels C of an (N, C, ...) input",
    "elementwise_affine": "learn a scale (and a shift, with bias) per value",
    "num_embeddings": "size of the vocabulary",
    "embedding_dim": "size of each embedding vector",
    "padding_idx": "index whose vector gets no gradient",
    "max_norm": "renormalise vectors longer than this",
    "norm_type": "p of the p-norm for max_norm",
    "scale_grad_by_freq": "scale gradients by inverse word frequency",
    "sparse": "sparse gradients",
    "input_size": "features of each input step",
    "hidden_size": "features of the hidden state",
    "num_layers": "number of stacked layers",
    "nonlinearity": "activation of the cell",
    "batch_first": "inputs and outputs are (N, L, H) instead of (L, N, H)",
    "dropout": "dropout probability",
    "bidirectional": "also run over the reversed sequence",
    "proj_size": "project the hidden state to this size (0: no projection)",
    "embed_dim": "model dimension E (query features)",
    "num_heads": "parallel attention heads (embed_dim must divide evenly)",
    "add_bias_kv": "learn a bias key and value appended to the sequence",
    "add_zero_attn": "append a zero key and value",
    "kdim": "key features (default: embed_dim)",
    "vdim": "value features (default: embed_dim)",
    "d_model": "model dimension d",
    "nhead": "attention heads",
    "dim_feedforward": "hidden size of the feed-forward block",
    "activation": "activation function",
    "layer_norm_eps": "eps of the LayerNorms",
    "norm_first": "normalise before attention and feed-forward (pre-norm)",
    "encoder_layer": "the layer to stack, as an expression such as 'TransformerEncoderLayer(512, 8)'",
    "decoder_layer": "the layer to stack, as an expression such as 'TransformerDecoderLayer(512, 8)'",
    "norm": "a final norm, as an expression such as 'LayerNorm(512)'",
    "enable_nested_tensor": "use nested tensors for padded batches (no effect on counts)",
    "mask_check": "check the mask (no effect on counts)",
    "start_dim": "first dimension to flatten",
    "end_dim": "last dimension to flatten",
    "p": "probability of zeroing an element",
    "inplace": "operate in place",
    "approximate": "tanh approximation of GELU",
    "negative_slope": "slope below zero",
    "alpha": "scale of the negative part, alpha·(eˣ − 1)",
    "num_parameters": "learned slopes: 1 (shared) or the number of channels",
    "init": "initial value of the slopes",
    "dim": "dimension along which softmax sums to 1",
    "units": "output features (Keras)",
    "filters": "output channels (Keras)",
    "use_bias": "learn an additive bias (Keras)",
    "strides": "step between windows (Keras)",
    "dilation_rate": "spacing between kernel elements (Keras)",
    "pool_size": "size of the pooling window (Keras)",
    "data_format": "channels_last (N, ..., C) or channels_first (N, C, ...)",
    "input_dim": "size of the vocabulary (Keras)",
    "output_dim": "size of each embedding vector (Keras)",
    "return_sequences": "return the whole sequence, not only the last output",
    "return_state": "also return the final states",
    "reset_after": "apply the reset gate after the matrix product (two bias vectors)",
    "key_dim": "size of each attention head for query and key (Keras)",
    "value_dim": "size of each attention head for value (Keras)",
    "center": "learn a shift (beta)",
    "scale": "learn a scale (gamma)",
    "merge_mode": "how the two directions are combined",
    "layer": "the wrapped layer, as an expression such as 'layers.LSTM(64)'",
    "num_kv_heads": "key/value heads for grouped-query attention (default: num_heads)",
    "head_dim": "size of each head (default: embed_dim / num_heads)",
    "out_bias": "bias on the output projection (default: bias)",
    "causal": "mask future positions",
    "hidden_features": "hidden size of the feed-forward block",
    "style": "block layout: gpt2 (LayerNorm, GELU MLP) or llama (RMSNorm, SwiGLU)",
    "norm_eps": "eps of the norms",
    "patch_size": "side of each square patch",
    "image_size": "side of the input image",
    "class_token": "prepend a learned class token",
    "position_embedding": "add learned position embeddings",
    "max_len": "longest sequence the encoding table covers",
    "index": "index to take along dim",
    "num_encoder_layers": "encoder layers",
    "num_decoder_layers": "decoder layers",
    "trainable": "train the weights (false: Keras counts them all as non-trainable)",
    "keepdims": "keep the pooled dimensions with size 1",
    "axis": "axis or axes to normalise over (Keras)",
    "epsilon": "added to the variance for numerical stability (Keras)",
    "mask_zero": "treat index 0 as padding to mask",
    "recurrent_dropout": "dropout on the recurrent state",
    "go_backwards": "process the sequence backwards",
    "stateful": "carry the state over between batches",
    "unroll": "unroll the loop",
    "seed": "random seed for dropout",
    "recurrent_activation": "activation of the gates",
    "unit_forget_bias": "start the forget-gate bias at 1",
    "output_shape": "output features (default: the query's features)",
    "rate": "fraction of the inputs to drop (Keras)",
    "noise_shape": "shape of the dropout mask",
}
