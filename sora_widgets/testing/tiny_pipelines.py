"""Tiny, randomly initialised *real* diffusers pipelines, built in code.

The diffusers engines are tested (and benchmarked) on CPU without any weights:
these builders make the real pipeline classes (``LTX2Pipeline``, ``LTXPipeline``,
``WanPipeline``, ``CogVideoXPipeline``, ``StableAudioPipeline``) from small
config objects, the way diffusers' own test-suite does (``tests/pipelines/*/
test_*.py``, ``get_dummy_components``), except that the text encoders and
tokenizers are made here too (diffusers' tests download ``hf-internal-testing``
checkpoints; we build a Gemma-3 / T5 config and a word-level tokenizer whose
vocabulary lives in this file). Nothing is downloaded.

Their output is noise-like (the weights are random); what they prove is that
our engine drives the real pipeline code: shapes, sample rates, callbacks,
seeding, loading from a ``save_pretrained`` folder.

>>> from sora_widgets.testing.tiny_pipelines import save_tiny_model
>>> folder = save_tiny_model("ltx2", "/tmp/tiny-ltx2")   # doctest: +SKIP
>>> sora_widgets.generate("a robot dancing", engine="ltx2", model=str(folder), steps=2)   # doctest: +SKIP
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "TINY_MODELS",
    "build_tiny_pipeline",
    "save_tiny_model",
    "tiny_tokenizer",
]

#: The words the tiny tokenizer knows; anything else becomes ``<unk>``.
_WORDS = (
    "a an the of on in at to and with off from into over under by is are robot dancing dance monkey red blue green"
    " yellow white black ball bounces bounce backboard floor wooden wood cat dog mug beach sea wave waves city street"
    " night day sun rain snow car runs run walks walk jumps jump man woman child person camera slow fast close up"
    " shot scene music sound loud quiet hammer hitting surface bird sings sky tree forest mountain river water fire"
).split()
_SPECIALS = ("<pad>", "</s>", "<bos>", "<unk>")

#: Tokens the tiny text encoders read; pipelines take ``min(default, this)`` as max_sequence_length.
TINY_MAX_TOKENS = 16

#: Names accepted by :func:`build_tiny_pipeline` / :func:`save_tiny_model`.
TINY_MODELS = (
    "ltx2",
    "ltx2-two-stage",
    "ltx-video",
    "wan",
    "cogvideox",
    "stable-audio",
)


def tiny_tokenizer(max_length: int = TINY_MAX_TOKENS):
    """A word-level ``PreTrainedTokenizerFast`` (lower-cased, ``</s>`` appended), vocabulary made in code."""
    from tokenizers import Tokenizer, normalizers, pre_tokenizers, processors
    from tokenizers.models import WordLevel
    from transformers import PreTrainedTokenizerFast

    vocab = {tok: i for i, tok in enumerate(_SPECIALS + tuple(dict.fromkeys(_WORDS)))}
    tok = Tokenizer(WordLevel(vocab, unk_token="<unk>"))
    tok.normalizer = normalizers.Lowercase()
    tok.pre_tokenizer = pre_tokenizers.Whitespace()
    tok.post_processor = processors.TemplateProcessing(
        single="$A </s>", pair="$A </s> $B </s>", special_tokens=[("</s>", vocab["</s>"])]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tok,
        pad_token="<pad>",
        eos_token="</s>",
        bos_token="<bos>",
        unk_token="<unk>",
        model_max_length=max_length,
    )


def _vocab_size() -> int:
    return len(_SPECIALS) + len(dict.fromkeys(_WORDS))


def tiny_t5_encoder(d_model: int = 32):
    """A 2-layer ``T5EncoderModel`` (d_model 32, like hf-internal-testing/tiny-random-t5), in eval mode."""
    import torch
    from transformers import T5Config, T5EncoderModel

    torch.manual_seed(0)
    config = T5Config(
        vocab_size=_vocab_size(),
        d_model=d_model,
        d_kv=8,
        d_ff=37,
        num_layers=2,
        num_heads=4,
        relative_attention_num_buckets=8,
        dropout_rate=0.0,
        pad_token_id=0,
        eos_token_id=1,
        decoder_start_token_id=0,
    )
    # eval(): a freshly constructed model is in training mode, and dropout would break seeding.
    return T5EncoderModel(config).eval()


def tiny_gemma3_encoder():
    """A 2-layer ``Gemma3ForConditionalGeneration`` (text hidden 32, tiny SigLIP tower), in eval mode."""
    import torch
    from transformers import Gemma3Config, Gemma3ForConditionalGeneration

    torch.manual_seed(0)
    config = Gemma3Config(
        text_config={
            "vocab_size": _vocab_size(),
            "hidden_size": 32,
            "intermediate_size": 37,
            "num_hidden_layers": 2,
            "num_attention_heads": 2,
            "num_key_value_heads": 1,
            "head_dim": 16,
            "max_position_embeddings": 64,
            "sliding_window": 16,
            "layer_types": ["sliding_attention", "full_attention"],
            "pad_token_id": 0,
            "eos_token_id": 1,
            "bos_token_id": 2,
        },
        vision_config={
            "hidden_size": 16,
            "intermediate_size": 37,
            "num_hidden_layers": 1,
            "num_attention_heads": 2,
            "image_size": 16,
            "patch_size": 4,
        },
        mm_tokens_per_image=4,
        boi_token_index=_vocab_size() - 3,
        eoi_token_index=_vocab_size() - 2,
        image_token_index=_vocab_size() - 1,
    )
    return Gemma3ForConditionalGeneration(config).eval()


# --------------------------------------------------------------------------- LTX-2
def tiny_ltx2_components() -> dict:
    """Components of ``LTX2Pipeline`` (sizes from diffusers' tests/pipelines/ltx2/test_ltx2.py)."""
    import torch
    from diffusers import (
        AutoencoderKLLTX2Audio,
        AutoencoderKLLTX2Video,
        FlowMatchEulerDiscreteScheduler,
        LTX2VideoTransformer3DModel,
    )
    from diffusers.pipelines.ltx2 import LTX2TextConnectors
    from diffusers.pipelines.ltx2.vocoder import LTX2Vocoder

    text_encoder = tiny_gemma3_encoder()
    hidden = text_encoder.config.text_config.hidden_size
    torch.manual_seed(0)
    transformer = LTX2VideoTransformer3DModel(
        in_channels=4,
        out_channels=4,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=2,
        attention_head_dim=8,
        cross_attention_dim=16,
        audio_in_channels=4,
        audio_out_channels=4,
        audio_num_attention_heads=2,
        audio_attention_head_dim=4,
        audio_cross_attention_dim=8,
        num_layers=2,
        qk_norm="rms_norm_across_heads",
        caption_channels=hidden,
        rope_double_precision=False,
        rope_type="split",
    )
    torch.manual_seed(0)
    connectors = LTX2TextConnectors(
        caption_channels=hidden,
        text_proj_in_factor=text_encoder.config.text_config.num_hidden_layers + 1,
        video_connector_num_attention_heads=4,
        video_connector_attention_head_dim=8,
        video_connector_num_layers=1,
        video_connector_num_learnable_registers=None,
        audio_connector_num_attention_heads=4,
        audio_connector_attention_head_dim=8,
        audio_connector_num_layers=1,
        audio_connector_num_learnable_registers=None,
        connector_rope_base_seq_len=32,
        rope_theta=10000.0,
        rope_double_precision=False,
        causal_temporal_positioning=False,
        rope_type="split",
    )
    torch.manual_seed(0)
    vae = AutoencoderKLLTX2Video(
        in_channels=3,
        out_channels=3,
        latent_channels=4,
        block_out_channels=(8,),
        decoder_block_out_channels=(8,),
        layers_per_block=(1,),
        decoder_layers_per_block=(1, 1),
        spatio_temporal_scaling=(True,),
        decoder_spatio_temporal_scaling=(True,),
        decoder_inject_noise=(False, False),
        # diffusers' test has ("spatial",), whose encoder keeps every frame while the decoder doubles them;
        # video conditions (our remix path) need encoder and decoder to agree on 2x in time.
        downsample_type=("spatiotemporal",),
        upsample_residual=(False,),
        upsample_factor=(1,),
        timestep_conditioning=False,
        # patch 4 (diffusers' test uses 1): 8x spatial compression keeps a 64x64 request at 8x8 latents,
        # the smallest size our engines accept, so a step stays in milliseconds.
        patch_size=4,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False
    torch.manual_seed(0)
    audio_vae = AutoencoderKLLTX2Audio(
        base_channels=4,
        output_channels=2,
        ch_mult=(1,),
        num_res_blocks=1,
        attn_resolutions=None,
        in_channels=2,
        resolution=32,
        latent_channels=2,
        norm_type="pixel",
        causality_axis="height",
        dropout=0.0,
        mid_block_add_attention=False,
        sample_rate=16000,
        mel_hop_length=160,
        is_causal=True,
        mel_bins=8,
    )
    torch.manual_seed(0)
    vocoder = LTX2Vocoder(
        in_channels=audio_vae.config.output_channels * audio_vae.config.mel_bins,
        hidden_channels=32,
        out_channels=2,
        # 4 * 4 * 10 = 160 = mel_hop_length: one mel frame becomes one hop of samples, so
        # the declared 16 kHz is the real output rate (diffusers' test vocoder upsamples 4x only).
        upsample_kernel_sizes=[8, 8, 20],
        upsample_factors=[4, 4, 10],
        resnet_kernel_sizes=[3],
        resnet_dilations=[[1, 3, 5]],
        leaky_relu_negative_slope=0.1,
        output_sampling_rate=16000,
    )
    return {
        "transformer": transformer,
        "vae": vae,
        "audio_vae": audio_vae,
        "scheduler": FlowMatchEulerDiscreteScheduler(),
        "text_encoder": text_encoder,
        "tokenizer": tiny_tokenizer(),
        "connectors": connectors,
        "vocoder": vocoder,
        "processor": None,
        "prompt_enhancer": None,
        "duration_head": None,
    }


def tiny_ltx2_latent_upsampler(in_channels: int = 4):
    """A tiny ``LTX2LatentUpsamplerModel`` (2x spatial) for the two-stage mode."""
    import torch
    from diffusers.pipelines.ltx2.latent_upsampler import LTX2LatentUpsamplerModel

    torch.manual_seed(0)
    return LTX2LatentUpsamplerModel(in_channels=in_channels, mid_channels=32, num_blocks_per_stage=1)


# --------------------------------------------------------------------------- LTX-Video
def tiny_ltx_video_components() -> dict:
    """Components of ``LTXPipeline`` (sizes from diffusers' tests/pipelines/ltx/test_ltx.py)."""
    import torch
    from diffusers import AutoencoderKLLTXVideo, FlowMatchEulerDiscreteScheduler, LTXVideoTransformer3DModel

    torch.manual_seed(0)
    transformer = LTXVideoTransformer3DModel(
        in_channels=8,
        out_channels=8,
        patch_size=1,
        patch_size_t=1,
        num_attention_heads=4,
        attention_head_dim=8,
        cross_attention_dim=32,
        num_layers=1,
        caption_channels=32,
    )
    torch.manual_seed(0)
    vae = AutoencoderKLLTXVideo(
        in_channels=3,
        out_channels=3,
        latent_channels=8,
        block_out_channels=(8, 8, 8, 8),
        decoder_block_out_channels=(8, 8, 8, 8),
        layers_per_block=(1, 1, 1, 1, 1),
        decoder_layers_per_block=(1, 1, 1, 1, 1),
        spatio_temporal_scaling=(True, True, False, False),
        decoder_spatio_temporal_scaling=(True, True, False, False),
        decoder_inject_noise=(False, False, False, False, False),
        upsample_residual=(False, False, False, False),
        upsample_factor=(1, 1, 1, 1),
        timestep_conditioning=False,
        patch_size=1,
        patch_size_t=1,
        encoder_causal=True,
        decoder_causal=False,
    )
    vae.use_framewise_encoding = False
    vae.use_framewise_decoding = False
    return {
        "transformer": transformer,
        "vae": vae,
        "scheduler": FlowMatchEulerDiscreteScheduler(),
        "text_encoder": tiny_t5_encoder(),
        "tokenizer": tiny_tokenizer(),
    }


# --------------------------------------------------------------------------- Wan
def tiny_wan_components() -> dict:
    """Components of ``WanPipeline`` (sizes from diffusers' tests/pipelines/wan/test_wan.py)."""
    import torch
    from diffusers import AutoencoderKLWan, FlowMatchEulerDiscreteScheduler, WanTransformer3DModel

    torch.manual_seed(0)
    vae = AutoencoderKLWan(base_dim=3, z_dim=16, dim_mult=[1, 1, 1, 1], num_res_blocks=1,
                           temperal_downsample=[False, True, True])
    torch.manual_seed(0)
    transformer = WanTransformer3DModel(
        patch_size=(1, 2, 2),
        num_attention_heads=2,
        attention_head_dim=12,
        in_channels=16,
        out_channels=16,
        text_dim=32,
        freq_dim=256,
        ffn_dim=32,
        num_layers=2,
        cross_attn_norm=True,
        qk_norm="rms_norm_across_heads",
        rope_max_seq_len=32,
    )
    return {
        "transformer": transformer,
        "vae": vae,
        "scheduler": FlowMatchEulerDiscreteScheduler(shift=7.0),
        "text_encoder": tiny_t5_encoder(),
        "tokenizer": tiny_tokenizer(),
        "transformer_2": None,
    }


# --------------------------------------------------------------------------- CogVideoX
def tiny_cogvideox_components() -> dict:
    """Components of ``CogVideoXPipeline`` (sizes from diffusers' tests/pipelines/cogvideo/test_cogvideox.py)."""
    import torch
    from diffusers import AutoencoderKLCogVideoX, CogVideoXDDIMScheduler, CogVideoXTransformer3DModel

    torch.manual_seed(0)
    transformer = CogVideoXTransformer3DModel(
        num_attention_heads=4,
        attention_head_dim=8,
        in_channels=4,
        out_channels=4,
        time_embed_dim=2,
        text_embed_dim=32,
        num_layers=1,
        sample_width=4,
        sample_height=4,
        sample_frames=9,
        patch_size=2,
        temporal_compression_ratio=4,
        max_text_seq_length=TINY_MAX_TOKENS,
    )
    torch.manual_seed(0)
    vae = AutoencoderKLCogVideoX(
        in_channels=3,
        out_channels=3,
        down_block_types=("CogVideoXDownBlock3D",) * 4,
        up_block_types=("CogVideoXUpBlock3D",) * 4,
        block_out_channels=(8, 8, 8, 8),
        latent_channels=4,
        layers_per_block=1,
        norm_num_groups=2,
        temporal_compression_ratio=4,
    )
    return {
        "transformer": transformer,
        "vae": vae,
        "scheduler": CogVideoXDDIMScheduler(),
        "text_encoder": tiny_t5_encoder(),
        "tokenizer": tiny_tokenizer(),
    }


# --------------------------------------------------------------------------- Stable Audio
def tiny_stable_audio_components() -> dict:
    """Components of ``StableAudioPipeline``: 16 kHz stereo, hop 64, up to 1.024 s per call.

    diffusers' own test uses a 4 Hz VAE; ours runs at a real sample rate so the
    engine's resampling and length handling are exercised.
    """
    import torch
    from diffusers import AutoencoderOobleck, EDMDPMSolverMultistepScheduler, StableAudioDiTModel
    from diffusers.pipelines.stable_audio import StableAudioProjectionModel

    torch.manual_seed(0)
    transformer = StableAudioDiTModel(
        sample_size=256,
        in_channels=3,
        num_layers=2,
        attention_head_dim=4,
        num_key_value_attention_heads=2,
        out_channels=3,
        cross_attention_dim=4,
        time_proj_dim=8,
        global_states_input_dim=8,
        cross_attention_input_dim=4,
    )
    # Stable Audio Open ships CosineDPMSolverMultistepScheduler, which needs the torchsde package;
    # its deterministic EDM sibling has the same interface and needs nothing extra.
    scheduler = EDMDPMSolverMultistepScheduler(
        solver_order=2, prediction_type="v_prediction", sigma_data=1.0, sigma_schedule="exponential"
    )
    torch.manual_seed(0)
    vae = AutoencoderOobleck(
        encoder_hidden_size=6,
        downsampling_ratios=[2, 4, 8],
        decoder_channels=3,
        decoder_input_channels=3,
        audio_channels=2,
        channel_multiples=[1, 2, 2],
        sampling_rate=16000,
    )
    text_encoder = tiny_t5_encoder()
    torch.manual_seed(0)
    projection_model = StableAudioProjectionModel(
        text_encoder_dim=text_encoder.config.d_model, conditioning_dim=4, min_value=0, max_value=32
    )
    return {
        "transformer": transformer,
        "scheduler": scheduler,
        "vae": vae,
        "text_encoder": text_encoder,
        "tokenizer": tiny_tokenizer(),
        "projection_model": projection_model,
    }


# --------------------------------------------------------------------------- entry points
def build_tiny_pipeline(name: str):
    """The real pipeline object for ``name`` (one of :data:`TINY_MODELS`), on CPU, float32."""
    import diffusers

    builders = {
        "ltx2": (diffusers.LTX2Pipeline, tiny_ltx2_components),
        "ltx2-two-stage": (diffusers.LTX2Pipeline, tiny_ltx2_components),
        "ltx-video": (diffusers.LTXPipeline, tiny_ltx_video_components),
        "wan": (diffusers.WanPipeline, tiny_wan_components),
        "cogvideox": (diffusers.CogVideoXPipeline, tiny_cogvideox_components),
        "stable-audio": (diffusers.StableAudioPipeline, tiny_stable_audio_components),
    }
    if name not in builders:
        raise ValueError(f"unknown tiny model {name!r}; choose one of {', '.join(TINY_MODELS)}.")
    cls, components = builders[name]
    pipe = cls(**components())
    pipe.set_progress_bar_config(disable=True)
    return pipe


def save_tiny_model(name: str, folder: str | Path) -> Path:
    """Build the tiny pipeline ``name`` and ``save_pretrained`` it into ``folder`` (returned).

    ``"ltx2-two-stage"`` also writes a ``latent_upsampler/`` subfolder, the layout of
    the Lightricks/LTX-2 repository, which the engine's ``two_stage`` mode reads.
    """
    folder = Path(folder)
    pipe = build_tiny_pipeline(name)
    pipe.save_pretrained(folder)
    if name == "ltx2-two-stage":
        tiny_ltx2_latent_upsampler(pipe.transformer.config.in_channels).save_pretrained(folder / "latent_upsampler")
    return folder
