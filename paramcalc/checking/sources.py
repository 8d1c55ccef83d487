"""Where each catalogued mistake is documented: the course notes, textbooks, papers and framework
documentation whose formulas the right computation follows (each entry's ``source``).
"""

CS231N_PARAMS = "CS231n, Convolutional Networks notes: each filter has F·F·D_1 weights and 1 bias"
COURSE = "the course notes (Calculate # params): Linear (I × O) + O, Conv ((K_w × K_h × C_in) + 1) × C_out"
TORCH_RNN_DOCS = "PyTorch documentation of nn.RNN, nn.LSTM and nn.GRU: bias_ih_l[k] and bias_hh_l[k]"
KERAS_RNN = "Keras documentation of LSTM and GRU (reset_after=True, the default since Keras 2.3)"
D2L_GATES = "Dive into Deep Learning, 10.1 LSTM and 10.2 GRU: four and three gate blocks"
VASWANI = "Vaswani et al., Attention Is All You Need (2017), 3.2.2: W^O and d_k = d_model/h per head"
BN_DOCS = "PyTorch documentation of BatchNorm2d (running statistics are buffers) and Keras's BatchNormalization"
KERAS_INPUT = "Keras documentation of the RNN layers: inputs of shape (batch, timesteps, features)"
CS231N = "CS231n, Convolutional Networks notes: output size (W − F + 2P)/S + 1"
D2L = "Dive into Deep Learning, 7.3 Padding and Stride: ⌊(n_h − k_h + p_h + s_h)/s_h⌋"
TORCH_DOCS = "PyTorch documentation of Conv2d, MaxPool2d and ConvTranspose2d: the output-size formulas"
TF_PADDING = "TensorFlow documentation, tf.nn convolution: \"SAME\" and \"VALID\" padding"
DUMOULIN = "Dumoulin & Visin, A guide to convolution arithmetic for deep learning (2016)"
CS231N_FLATTEN = "CS231n, Convolutional Networks notes: the FC layer after the last POOL sees its full W×H×D volume"
