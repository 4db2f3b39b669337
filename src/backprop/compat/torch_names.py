"""torch 2.13's public names, grouped as its reference documentation groups them: the lists behind
docs/api.md (``api_reference``). Data, written once from torch's docs and checked against the installed torch by
tests/compat/test_api_reference.py; backprop never imports torch."""

# (module, section of its reference page, names); a dotted name is reached through a submodule
GROUPS = [
    ('torch', 'Tensors', """
        is_tensor is_storage is_complex is_conj is_floating_point is_nonzero set_default_dtype
        get_default_dtype set_default_device get_default_device set_default_tensor_type numel
        set_printoptions set_flush_denormal
    """.split()),
    ('torch', 'Tensor types and dtypes', """
        Tensor Size dtype device Generator float32 float64 float16 bfloat16 int8 int16 int32 int64 uint8
        bool complex64 complex128 float double half long int short cfloat cdouble FloatTensor DoubleTensor
        HalfTensor LongTensor IntTensor ShortTensor ByteTensor CharTensor BoolTensor finfo iinfo
    """.split()),
    ('torch', 'Creation ops', """
        tensor sparse_coo_tensor asarray as_tensor as_strided from_file from_numpy from_dlpack frombuffer
        zeros zeros_like ones ones_like arange range linspace logspace eye empty empty_like empty_strided
        full full_like quantize_per_tensor quantize_per_channel dequantize complex polar heaviside
    """.split()),
    ('torch', 'Indexing, slicing, joining, mutating ops', """
        adjoint argwhere cat concat concatenate conj chunk dsplit column_stack dstack gather hsplit hstack
        index_add index_copy index_reduce index_select masked_select movedim moveaxis narrow narrow_copy
        nonzero permute reshape row_stack select scatter diagonal_scatter select_scatter slice_scatter
        scatter_add scatter_reduce split squeeze stack swapaxes swapdims t take take_along_dim tensor_split
        tile transpose unbind unravel_index unsqueeze vsplit vstack where
    """.split()),
    ('torch', 'Random sampling', """
        seed manual_seed initial_seed get_rng_state set_rng_state bernoulli multinomial normal poisson rand
        rand_like randint randint_like randn randn_like randperm
    """.split()),
    ('torch', 'Serialization', """
        save load
    """.split()),
    ('torch', 'Parallelism', """
        get_num_threads set_num_threads get_num_interop_threads set_num_interop_threads
    """.split()),
    ('torch', 'Locally disabling gradient computation', """
        no_grad enable_grad set_grad_enabled is_grad_enabled inference_mode is_inference_mode_enabled
    """.split()),
    ('torch', 'Math operations: pointwise ops', """
        abs absolute acos arccos acosh arccosh add addcdiv addcmul angle asin arcsin asinh arcsinh atan
        arctan atanh arctanh atan2 arctan2 bitwise_not bitwise_and bitwise_or bitwise_xor bitwise_left_shift
        bitwise_right_shift ceil clamp clip conj_physical copysign cos cosh deg2rad div divide digamma erf
        erfc erfinv exp exp2 expm1 fake_quantize_per_channel_affine fake_quantize_per_tensor_affine fix
        float_power floor floor_divide fmod frac frexp gradient imag ldexp lerp lgamma log log10 log1p log2
        logaddexp logaddexp2 logical_and logical_not logical_or logical_xor logit hypot i0 igamma igammac
        mul multiply mvlgamma nan_to_num neg negative nextafter polygamma positive pow quantized_batch_norm
        quantized_max_pool1d quantized_max_pool2d rad2deg real reciprocal remainder round rsqrt sigmoid sign
        sgn signbit sin sinc sinh softmax sqrt square sub subtract tan tanh true_divide trunc xlogy
    """.split()),
    ('torch', 'Math operations: reduction ops', """
        argmax argmin amax amin aminmax all any max min dist logsumexp mean nanmean median nanmedian mode
        norm nansum prod quantile nanquantile std std_mean sum unique unique_consecutive var var_mean
        count_nonzero
    """.split()),
    ('torch', 'Math operations: comparison ops', """
        allclose argsort eq equal ge greater_equal gt greater isclose isfinite isin isinf isposinf isneginf
        isnan isreal kthvalue le less_equal lt less maximum minimum fmax fmin ne not_equal sort topk msort
    """.split()),
    ('torch', 'Math operations: spectral ops', """
        stft istft bartlett_window blackman_window hamming_window hann_window kaiser_window
    """.split()),
    ('torch', 'Math operations: other operations', """
        atleast_1d atleast_2d atleast_3d bincount block_diag broadcast_tensors broadcast_to broadcast_shapes
        bucketize cartesian_prod cdist clone combinations corrcoef cov cross cummax cummin cumprod cumsum
        diag diag_embed diagflat diagonal diff einsum flatten flip fliplr flipud kron rot90 gcd histc
        histogram histogramdd meshgrid lcm logcumsumexp ravel renorm repeat_interleave roll searchsorted
        tensordot trace tril tril_indices triu triu_indices unflatten vander view_as_real view_as_complex
        resolve_conj resolve_neg
    """.split()),
    ('torch', 'Math operations: BLAS and LAPACK operations', """
        addbmm addmm addmv addr baddbmm bmm chain_matmul cholesky cholesky_inverse cholesky_solve dot geqrf
        ger inner inverse det logdet slogdet lu lu_solve lu_unpack matmul matrix_power matrix_exp mm mv
        orgqr ormqr outer pinverse qr svd svd_lowrank pca_lowrank lobpcg trapz trapezoid
        cumulative_trapezoid triangular_solve vdot
    """.split()),
    ('torch', 'Utilities', """
        compiled_with_cxx11_abi result_type can_cast promote_types use_deterministic_algorithms
        are_deterministic_algorithms_enabled is_deterministic_algorithms_warn_only_enabled
        set_deterministic_debug_mode get_deterministic_debug_mode set_float32_matmul_precision
        get_float32_matmul_precision set_warn_always get_device_module is_warn_always_enabled vmap compile
    """.split()),
    ('torch.nn', 'Parameters', """
        Parameter UninitializedParameter UninitializedBuffer Buffer
    """.split()),
    ('torch.nn', 'Containers', """
        Module Sequential ModuleList ModuleDict ParameterList ParameterDict
    """.split()),
    ('torch.nn', 'Convolution layers', """
        Conv1d Conv2d Conv3d ConvTranspose1d ConvTranspose2d ConvTranspose3d LazyConv1d LazyConv2d
        LazyConv3d LazyConvTranspose1d LazyConvTranspose2d LazyConvTranspose3d Unfold Fold
    """.split()),
    ('torch.nn', 'Pooling layers', """
        MaxPool1d MaxPool2d MaxPool3d MaxUnpool1d MaxUnpool2d MaxUnpool3d AvgPool1d AvgPool2d AvgPool3d
        FractionalMaxPool2d FractionalMaxPool3d LPPool1d LPPool2d LPPool3d AdaptiveMaxPool1d
        AdaptiveMaxPool2d AdaptiveMaxPool3d AdaptiveAvgPool1d AdaptiveAvgPool2d AdaptiveAvgPool3d
    """.split()),
    ('torch.nn', 'Padding layers', """
        ReflectionPad1d ReflectionPad2d ReflectionPad3d ReplicationPad1d ReplicationPad2d ReplicationPad3d
        ZeroPad1d ZeroPad2d ZeroPad3d ConstantPad1d ConstantPad2d ConstantPad3d CircularPad1d CircularPad2d
        CircularPad3d
    """.split()),
    ('torch.nn', 'Non-linear activations (weighted sum, nonlinearity)', """
        ELU Hardshrink Hardsigmoid Hardtanh Hardswish LeakyReLU LogSigmoid MultiheadAttention PReLU ReLU
        ReLU6 RReLU SELU CELU GELU Sigmoid SiLU Mish Softplus Softshrink Softsign Tanh Tanhshrink Threshold
        GLU
    """.split()),
    ('torch.nn', 'Non-linear activations (other)', """
        Softmin Softmax Softmax2d LogSoftmax AdaptiveLogSoftmaxWithLoss
    """.split()),
    ('torch.nn', 'Normalization layers', """
        BatchNorm1d BatchNorm2d BatchNorm3d LazyBatchNorm1d LazyBatchNorm2d LazyBatchNorm3d GroupNorm
        SyncBatchNorm InstanceNorm1d InstanceNorm2d InstanceNorm3d LazyInstanceNorm1d LazyInstanceNorm2d
        LazyInstanceNorm3d LayerNorm LocalResponseNorm RMSNorm
    """.split()),
    ('torch.nn', 'Recurrent layers', """
        RNNBase RNN LSTM GRU RNNCell LSTMCell GRUCell
    """.split()),
    ('torch.nn', 'Transformer layers', """
        Transformer TransformerEncoder TransformerDecoder TransformerEncoderLayer TransformerDecoderLayer
    """.split()),
    ('torch.nn', 'Linear layers', """
        Identity Linear Bilinear LazyLinear
    """.split()),
    ('torch.nn', 'Dropout layers', """
        Dropout Dropout1d Dropout2d Dropout3d AlphaDropout FeatureAlphaDropout
    """.split()),
    ('torch.nn', 'Sparse layers', """
        Embedding EmbeddingBag
    """.split()),
    ('torch.nn', 'Distance functions', """
        CosineSimilarity PairwiseDistance
    """.split()),
    ('torch.nn', 'Loss functions', """
        L1Loss MSELoss CrossEntropyLoss CTCLoss NLLLoss PoissonNLLLoss GaussianNLLLoss KLDivLoss BCELoss
        BCEWithLogitsLoss MarginRankingLoss HingeEmbeddingLoss MultiLabelMarginLoss HuberLoss SmoothL1Loss
        SoftMarginLoss MultiLabelSoftMarginLoss CosineEmbeddingLoss MultiMarginLoss TripletMarginLoss
        TripletMarginWithDistanceLoss
    """.split()),
    ('torch.nn', 'Vision layers', """
        PixelShuffle PixelUnshuffle Upsample UpsamplingNearest2d UpsamplingBilinear2d
    """.split()),
    ('torch.nn', 'Shuffle layers', """
        ChannelShuffle
    """.split()),
    ('torch.nn', 'DataParallel layers (multi-GPU, distributed)', """
        DataParallel parallel.DistributedDataParallel
    """.split()),
    ('torch.nn', 'Utilities', """
        Flatten Unflatten
    """.split()),
    ('torch.nn.utils', 'Utility functions', """
        clip_grad_norm_ clip_grad_norm clip_grad_value_ get_total_norm clip_grads_with_norm_
        parameters_to_vector vector_to_parameters fuse_conv_bn_eval fuse_conv_bn_weights fuse_linear_bn_eval
        fuse_linear_bn_weights convert_conv2d_weight_memory_format convert_conv3d_weight_memory_format
        weight_norm remove_weight_norm spectral_norm remove_spectral_norm skip_init
    """.split()),
    ('torch.nn.utils.rnn', 'Recurrent sequences', """
        PackedSequence pack_padded_sequence pad_packed_sequence pad_sequence pack_sequence unpack_sequence
        unpad_sequence
    """.split()),
    ('torch.nn.functional', 'Convolution functions', """
        conv1d conv2d conv3d conv_transpose1d conv_transpose2d conv_transpose3d unfold fold
    """.split()),
    ('torch.nn.functional', 'Pooling functions', """
        avg_pool1d avg_pool2d avg_pool3d max_pool1d max_pool2d max_pool3d max_unpool1d max_unpool2d
        max_unpool3d lp_pool1d lp_pool2d lp_pool3d adaptive_max_pool1d adaptive_max_pool2d
        adaptive_max_pool3d adaptive_avg_pool1d adaptive_avg_pool2d adaptive_avg_pool3d
        fractional_max_pool2d fractional_max_pool3d
    """.split()),
    ('torch.nn.functional', 'Attention mechanisms', """
        scaled_dot_product_attention
    """.split()),
    ('torch.nn.functional', 'Non-linear activation functions', """
        threshold threshold_ relu relu_ hardtanh hardtanh_ hardswish relu6 elu elu_ selu celu leaky_relu
        leaky_relu_ prelu rrelu rrelu_ glu gelu logsigmoid hardshrink tanhshrink softsign softplus softmin
        softmax softshrink gumbel_softmax log_softmax tanh sigmoid hardsigmoid silu mish batch_norm
        group_norm instance_norm layer_norm local_response_norm rms_norm normalize
    """.split()),
    ('torch.nn.functional', 'Linear functions', """
        linear bilinear
    """.split()),
    ('torch.nn.functional', 'Dropout functions', """
        dropout alpha_dropout feature_alpha_dropout dropout1d dropout2d dropout3d
    """.split()),
    ('torch.nn.functional', 'Sparse functions', """
        embedding embedding_bag one_hot
    """.split()),
    ('torch.nn.functional', 'Distance functions', """
        pairwise_distance cosine_similarity pdist
    """.split()),
    ('torch.nn.functional', 'Loss functions', """
        binary_cross_entropy binary_cross_entropy_with_logits poisson_nll_loss cosine_embedding_loss
        cross_entropy ctc_loss gaussian_nll_loss hinge_embedding_loss kl_div l1_loss mse_loss
        margin_ranking_loss multilabel_margin_loss multilabel_soft_margin_loss multi_margin_loss nll_loss
        huber_loss smooth_l1_loss soft_margin_loss triplet_margin_loss triplet_margin_with_distance_loss
    """.split()),
    ('torch.nn.functional', 'Vision functions', """
        pixel_shuffle pixel_unshuffle pad interpolate upsample upsample_nearest upsample_bilinear
        grid_sample affine_grid
    """.split()),
    ('torch.nn.init', 'Initialisation', """
        calculate_gain uniform_ normal_ constant_ ones_ zeros_ eye_ dirac_ xavier_uniform_ xavier_normal_
        kaiming_uniform_ kaiming_normal_ trunc_normal_ orthogonal_ sparse_
    """.split()),
    ('torch.optim', 'Algorithms', """
        Optimizer Adadelta Adafactor Adagrad Adam AdamW SparseAdam Adamax ASGD LBFGS Muon NAdam RAdam
        RMSprop Rprop SGD
    """.split()),
    ('torch.optim.lr_scheduler', 'Learning-rate schedules', """
        LRScheduler LambdaLR MultiplicativeLR StepLR MultiStepLR ConstantLR LinearLR ExponentialLR
        PolynomialLR CosineAnnealingLR ChainedScheduler SequentialLR ReduceLROnPlateau CyclicLR OneCycleLR
        CosineAnnealingWarmRestarts
    """.split()),
    ('torch.utils.data', 'Datasets', """
        Dataset IterableDataset TensorDataset StackDataset ConcatDataset ChainDataset Subset random_split
    """.split()),
    ('torch.utils.data', 'Loading and collating', """
        DataLoader default_collate default_convert get_worker_info
    """.split()),
    ('torch.utils.data', 'Samplers', """
        Sampler SequentialSampler RandomSampler SubsetRandomSampler WeightedRandomSampler BatchSampler
        distributed.DistributedSampler
    """.split()),
    ('torch.autograd', 'Automatic differentiation', """
        backward grad Function Variable gradcheck gradgradcheck detect_anomaly set_detect_anomaly no_grad
        enable_grad set_grad_enabled inference_mode
    """.split()),
    ('torch.autograd.functional', 'Functional higher-level API', """
        jacobian hessian vjp jvp vhp hvp
    """.split()),
    ('torch.linalg', 'Matrix properties', """
        norm vector_norm matrix_norm diagonal det slogdet cond matrix_rank
    """.split()),
    ('torch.linalg', 'Decompositions', """
        cholesky qr lu lu_factor eig eigvals eigh eigvalsh svd svdvals
    """.split()),
    ('torch.linalg', 'Solvers', """
        solve solve_triangular lu_solve lstsq
    """.split()),
    ('torch.linalg', 'Inverses', """
        inv pinv
    """.split()),
    ('torch.linalg', 'Matrix functions', """
        matrix_exp matrix_power
    """.split()),
    ('torch.linalg', 'Matrix products', """
        cross matmul vecdot multi_dot householder_product
    """.split()),
    ('torch.linalg', 'Tensor operations', """
        tensorinv tensorsolve
    """.split()),
    ('torch.linalg', 'Misc', """
        vander
    """.split()),
    ('torch.linalg', 'Experimental functions', """
        cholesky_ex inv_ex solve_ex lu_factor_ex ldl_factor ldl_factor_ex ldl_solve
    """.split()),
    ('torch.distributions', 'Probability distributions', """
        Distribution ExponentialFamily Bernoulli Beta Binomial Categorical Cauchy Chi2 ContinuousBernoulli
        Dirichlet Exponential FisherSnedecor Gamma GeneralizedPareto Geometric Gumbel HalfCauchy HalfNormal
        Independent InverseGamma Kumaraswamy Laplace LKJCholesky LogisticNormal LogNormal
        LowRankMultivariateNormal MixtureSameFamily Multinomial MultivariateNormal NegativeBinomial Normal
        OneHotCategorical OneHotCategoricalStraightThrough Pareto Poisson RelaxedBernoulli RelaxedOneHotCategorical
        StudentT TransformedDistribution Uniform VonMises Weibull Wishart
    """.split()),
    ('torch.distributions', 'KL divergence, constraints and transforms', """
        kl_divergence register_kl biject_to transform_to Transform AbsTransform AffineTransform CatTransform
        ComposeTransform CorrCholeskyTransform CumulativeDistributionTransform ExpTransform IndependentTransform
        LowerCholeskyTransform PositiveDefiniteTransform PowerTransform ReshapeTransform SigmoidTransform
        SoftplusTransform TanhTransform SoftmaxTransform StackTransform StickBreakingTransform identity_transform
    """.split()),
    ('torch.sparse', 'Sparse tensors', """
        mm addmm sum softmax log_softmax sampled_addmm spdiags
    """.split()),
    ('torch.cuda', 'CUDA', """
        is_available device_count current_device set_device get_device_name get_device_properties
        get_device_capability synchronize manual_seed manual_seed_all seed initial_seed get_rng_state
        set_rng_state empty_cache memory_allocated max_memory_allocated memory_reserved max_memory_reserved
        reset_peak_memory_stats is_bf16_supported device
    """.split()),
    ('torch.accelerator', 'Accelerators', """
        is_available current_accelerator device_count current_device_index set_device_index synchronize
    """.split()),
    ('torch.testing', 'Testing', """
        assert_close make_tensor
    """.split()),
    ('torch.backends.cudnn', 'Backends', """
        is_available enabled benchmark deterministic allow_tf32 version
    """.split()),
    ('torch.backends.mps', 'Backends', """
        is_available is_built
    """.split()),
    ('torch.jit', 'TorchScript', """
        script trace ignore unused export is_scripting is_tracing save load ScriptModule
    """.split()),
    ('torch.onnx', 'ONNX', """
        export
    """.split()),
]

# dir(torch.Tensor) without the private names: the methods and attributes of a tensor
TENSOR_ATTRIBUTES = """
    H T abs abs_ absolute absolute_ acos acos_ acosh acosh_ add add_ addbmm addbmm_ addcdiv addcdiv_
    addcmul addcmul_ addmm addmm_ addmv addmv_ addr addr_ adjoint all allclose amax amin aminmax angle
    any apply_ arccos arccos_ arccosh arccosh_ arcsin arcsin_ arcsinh arcsinh_ arctan arctan2 arctan2_
    arctan_ arctanh arctanh_ argmax argmin argsort argwhere as_strided as_strided_ as_strided_scatter
    as_subclass asin asin_ asinh asinh_ atan atan2 atan2_ atan_ atanh atanh_ backward baddbmm baddbmm_
    bernoulli bernoulli_ bfloat16 bincount bitwise_and bitwise_and_ bitwise_left_shift
    bitwise_left_shift_ bitwise_not bitwise_not_ bitwise_or bitwise_or_ bitwise_right_shift
    bitwise_right_shift_ bitwise_xor bitwise_xor_ bmm bool broadcast_to byte cauchy_ ccol_indices
    cdouble ceil ceil_ cfloat chalf char cholesky cholesky_inverse cholesky_solve chunk clamp clamp_
    clamp_max clamp_max_ clamp_min clamp_min_ clip clip_ clone coalesce col_indices conj conj_physical
    conj_physical_ const_data_ptr contiguous copy_ copysign copysign_ corrcoef cos cos_ cosh cosh_
    count_nonzero cov cpu cross crow_indices cuda cummax cummin cumprod cumprod_ cumsum cumsum_ data
    data_ptr deg2rad deg2rad_ dense_dim dequantize det detach detach_ device diag diag_embed diagflat
    diagonal diagonal_scatter diff digamma digamma_ dim dim_order dist div div_ divide divide_ dot
    double dsplit dtype eig element_size eq eq_ equal erf erf_ erfc erfc_ erfinv erfinv_ exp exp2 exp2_
    exp_ expand expand_as expm1 expm1_ exponential_ fill_ fill_diagonal_ fix fix_ flatten flip fliplr
    flipud float float_power float_power_ floor floor_ floor_divide floor_divide_ fmax fmin fmod fmod_
    frac frac_ frexp gather gcd gcd_ ge ge_ geometric_ geqrf ger get_device grad grad_dtype grad_fn
    greater greater_ greater_equal greater_equal_ gt gt_ half hardshrink hash_tensor heaviside
    heaviside_ histc histogram hsplit hypot hypot_ i0 i0_ igamma igamma_ igammac igammac_ imag index
    index_add index_add_ index_copy index_copy_ index_fill index_fill_ index_put index_put_ index_reduce
    index_reduce_ index_select indices inner int int_repr inverse ipu is_coalesced is_complex is_conj
    is_contiguous is_cpu is_cuda is_distributed is_floating_point is_inference is_ipu is_leaf is_maia
    is_meta is_mkldnn is_mps is_mtia is_neg is_nested is_nonzero is_pinned is_quantized is_same_size
    is_set_to is_shared is_signed is_sparse is_sparse_csr is_vulkan is_xla is_xpu isclose isfinite isinf
    isnan isneginf isposinf isreal istft item itemsize kron kthvalue layout lcm lcm_ ldexp ldexp_ le le_
    lerp lerp_ less less_ less_equal less_equal_ lgamma lgamma_ log log10 log10_ log1p log1p_ log2 log2_
    log_ log_normal_ log_softmax logaddexp logaddexp2 logcumsumexp logdet logical_and logical_and_
    logical_not logical_not_ logical_or logical_or_ logical_xor logical_xor_ logit logit_ logsumexp long
    lstsq lt lt_ lu lu_solve mH mT map2_ map_ masked_fill masked_fill_ masked_scatter masked_scatter_
    masked_select matmul matrix_exp matrix_power max maximum mean median min minimum mm mode module_load
    moveaxis movedim msort mtia mul mul_ multinomial multiply multiply_ mv mvlgamma mvlgamma_ name
    nan_to_num nan_to_num_ nanmean nanmedian nanquantile nansum narrow narrow_copy nbytes ndim
    ndimension ne ne_ neg neg_ negative negative_ nelement new new_empty new_empty_strided new_full
    new_ones new_tensor new_zeros nextafter nextafter_ nonzero nonzero_static norm normal_ not_equal
    not_equal_ numel numpy orgqr ormqr outer output_nr permute pin_memory pinverse polygamma polygamma_
    positive pow pow_ prelu prod put put_ q_per_channel_axis q_per_channel_scales
    q_per_channel_zero_points q_scale q_zero_point qr qscheme quantile rad2deg rad2deg_ random_ ravel
    real reciprocal reciprocal_ record_stream register_hook register_post_accumulate_grad_hook reinforce
    relu relu_ remainder remainder_ renorm renorm_ repeat repeat_interleave requires_grad requires_grad_
    reshape reshape_as resize resize_ resize_as resize_as_ resize_as_sparse_ resolve_conj resolve_neg
    retain_grad retains_grad roll rot90 round round_ row_indices rsqrt rsqrt_ scatter scatter_
    scatter_add scatter_add_ scatter_reduce scatter_reduce_ select select_scatter set_ sgn sgn_ shape
    share_memory_ short sigmoid sigmoid_ sign sign_ signbit sin sin_ sinc sinc_ sinh sinh_ size
    slice_inverse slice_scatter slogdet smm softmax solve sort sparse_dim sparse_mask sparse_resize_
    sparse_resize_and_clear_ split split_with_sizes sqrt sqrt_ square square_ squeeze squeeze_ sspaddmm
    std stft storage storage_offset storage_type stride sub sub_ subtract subtract_ sum sum_to_size svd
    swapaxes swapaxes_ swapdims swapdims_ symeig t t_ take take_along_dim tan tan_ tanh tanh_
    tensor_split tile to to_dense to_mkldnn to_padded_tensor to_sparse to_sparse_bsc to_sparse_bsr
    to_sparse_coo to_sparse_csc to_sparse_csr tolist topk trace transpose transpose_ triangular_solve
    tril tril_ triu triu_ true_divide true_divide_ trunc trunc_ type type_as unbind unflatten unfold
    uniform_ unique unique_consecutive unsafe_chunk unsafe_split unsafe_split_with_sizes unsqueeze
    unsqueeze_ untyped_storage values var vdot view view_as volatile vsplit where xlogy xlogy_ xpu zero_
""".split()
