"""The layer types the command line knows: one command per type (PyTorch's names lowercased, then
Keras's), what each constructor argument means, and an example query per command.
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

#: Example queries by command: the expression and an input shape. A layer command's example options
#: are derived from the expression, so both forms of every example stay in step (tests run them).
EXAMPLES: dict[str, tuple[str, str]] = {
    # PyTorch
    "linear": ("Linear(100, 10)", "32,100"),
    "conv1d": ("Conv1d(16, 33, 3, stride=2)", "20,16,50"),
    "conv2d": ("Conv2d(3, 64, kernel_size=3, padding=1)", "1,3,224,224"),
    "conv3d": ("Conv3d(16, 33, kernel_size=3, stride=2)", "20,16,10,50,100"),
    "convtranspose1d": ("ConvTranspose1d(16, 33, 3, stride=2)", "20,16,50"),
    "convtranspose2d": ("ConvTranspose2d(16, 8, 3, stride=2, padding=1, output_padding=1)", "1,16,28,28"),
    "convtranspose3d": ("ConvTranspose3d(16, 33, 3, stride=2)", "20,16,10,50,100"),
    "maxpool1d": ("MaxPool1d(3, stride=2)", "20,16,50"),
    "maxpool2d": ("MaxPool2d(3, stride=2, ceil_mode=True)", "1,64,112,112"),
    "maxpool3d": ("MaxPool3d(3, stride=2)", "20,16,50,44,31"),
    "avgpool1d": ("AvgPool1d(3, stride=2)", "20,16,50"),
    "avgpool2d": ("AvgPool2d(2)", "1,64,32,32"),
    "avgpool3d": ("AvgPool3d(3, stride=2)", "20,16,50,44,31"),
    "adaptiveavgpool1d": ("AdaptiveAvgPool1d(5)", "1,64,8"),
    "adaptiveavgpool2d": ("AdaptiveAvgPool2d((7, 7))", "1,512,13,13"),
    "adaptiveavgpool3d": ("AdaptiveAvgPool3d((5, 7, 9))", "1,64,8,9,10"),
    "batchnorm1d": ("BatchNorm1d(100)", "20,100"),
    "batchnorm2d": ("BatchNorm2d(64)", "8,64,32,32"),
    "batchnorm3d": ("BatchNorm3d(100)", "20,100,35,45,10"),
    "layernorm": ("LayerNorm(512)", "32,10,512"),
    "groupnorm": ("GroupNorm(32, 256)", "8,256,32,32"),
    "embedding": ("nn.Embedding(10000, 300)", "32,50"),
    "rnn": ("RNN(64, 64)", "32,20,64"),
    "lstm": ("LSTM(100, 128, num_layers=2)", "32,50,100"),
    "gru": ("GRU(100, 128, bidirectional=True)", "32,50,100"),
    "multiheadattention": ("MultiheadAttention(512, 8)", "10,32,512"),
    "transformerencoderlayer": ("TransformerEncoderLayer(512, 8)", "10,32,512"),
    "transformerencoder": ("TransformerEncoder(TransformerEncoderLayer(512, 8), num_layers=6)", "10,32,512"),
    "transformerdecoderlayer": ("TransformerDecoderLayer(512, 8)", "20,32,512;10,32,512"),
    "flatten": ("nn.Flatten()", "32,64,7,7"),
    "dropout": ("nn.Dropout(0.2)", "32,100"),
    "identity": ("Identity()", "32,100"),
    "relu": ("ReLU()", "32,100"),
    "gelu": ("GELU()", "32,100"),
    "tanh": ("Tanh()", "32,100"),
    "sigmoid": ("Sigmoid()", "32,100"),
    "softmax": ("Softmax(dim=1)", "32,10"),
    # PyTorch building blocks
    "rmsnorm": ("RMSNorm(4096)", "1,16,4096"),
    "selfattention": ("SelfAttention(4096, 32)", "1,16,4096"),
    "causalselfattention": ("CausalSelfAttention(768, 12)", "1,16,768"),
    "feedforward": ("FeedForward(768, 3072)", "1,16,768"),
    "swiglu": ("SwiGLU(4096, 11008)", "1,16,4096"),
    "decoderblock": ("DecoderBlock(768, 12)", "1,16,768"),
    "patchembedding": ("PatchEmbedding(3, 768, 16, 224)", "1,3,224,224"),
    "sinusoidalpositionalencoding": ("SinusoidalPositionalEncoding(512)", "1,16,512"),
    "select": ("Select(1, 0)", "1,197,768"),
    "transformerdecoder": ("TransformerDecoder(TransformerDecoderLayer(512, 8), num_layers=6)", "20,32,512;10,32,512"),
    "transformer": ("Transformer()", "10,32,512;20,32,512"),
    # Keras
    "dense": ("layers.Dense(64)", "32,100"),
    "keras-conv1d": ("layers.Conv1D(32, 3)", "8,100,16"),
    "keras-conv2d": ("layers.Conv2D(32, 3)", "8,28,28,1"),
    "keras-conv3d": ("layers.Conv3D(8, 3)", "2,16,16,16,1"),
    "conv1dtranspose": ("layers.Conv1DTranspose(16, 3, strides=2)", "8,50,32"),
    "conv2dtranspose": ("layers.Conv2DTranspose(16, 3, strides=2, padding='same')", "8,14,14,32"),
    "conv3dtranspose": ("layers.Conv3DTranspose(8, 3, strides=2)", "2,8,8,8,16"),
    "maxpooling1d": ("layers.MaxPooling1D(2)", "8,100,16"),
    "maxpooling2d": ("layers.MaxPooling2D(2)", "8,28,28,32"),
    "maxpooling3d": ("layers.MaxPooling3D(2)", "2,16,16,16,8"),
    "averagepooling1d": ("layers.AveragePooling1D(2)", "8,100,16"),
    "averagepooling2d": ("layers.AveragePooling2D(2)", "8,28,28,32"),
    "averagepooling3d": ("layers.AveragePooling3D(2)", "2,16,16,16,8"),
    "globalaveragepooling1d": ("layers.GlobalAveragePooling1D()", "8,100,16"),
    "globalaveragepooling2d": ("layers.GlobalAveragePooling2D()", "8,7,7,512"),
    "globalaveragepooling3d": ("layers.GlobalAveragePooling3D()", "2,4,4,4,64"),
    "batchnormalization": ("layers.BatchNormalization()", "8,28,28,32"),
    "layernormalization": ("layers.LayerNormalization()", "8,10,64"),
    "rmsnormalization": ("layers.RMSNormalization()", "8,10,64"),
    "groupnormalization": ("layers.GroupNormalization(8)", "8,32,32,64"),
    "keras-embedding": ("layers.Embedding(5000, 100)", "32,50"),
    "simplernn": ("layers.SimpleRNN(128)", "32,50,100"),
    "keras-lstm": ("layers.LSTM(128)", "32,50,100"),
    "keras-gru": ("layers.GRU(128)", "32,50,100"),
    "bidirectional": ("layers.Bidirectional(layers.LSTM(64))", "32,50,100"),
    "keras-multiheadattention": ("layers.MultiHeadAttention(num_heads=8, key_dim=64)", "32,10,512;32,20,512"),
    "groupqueryattention": (
        "layers.GroupQueryAttention(head_dim=64, num_query_heads=8, num_key_value_heads=2)", "2,10,512;2,20,512"
    ),
    "keras-flatten": ("layers.Flatten()", "8,7,7,64"),
    "keras-dropout": ("layers.Dropout(0.5)", "32,100"),
    "activation": ("layers.Activation('relu')", "32,100"),
}
