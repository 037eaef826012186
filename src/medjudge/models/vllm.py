"""Offline vLLM: one engine in this process; every `generate` call is one batched `LLM.chat`.

    from medjudge.models.vllm import VllmClient

    if __name__ == "__main__":          # required: vLLM starts its workers with `spawn`
        with VllmClient("smollm2-135m-instruct") as client:
            completions = client.generate(requests)

The engine starts lazily, once, on the first `generate` (or an explicit `start()`): 20-35 s
on 2 CPU cores with `enforce_eager=True`, 75-90 s without; the first use of the embedded
model adds its conversion (~30 s, once per cache). Constructing a client is cheap and does
not import vLLM, so `import medjudge` works without it installed.

vLLM runs the engine core and its worker in two spawned processes (about 3 GB in all with
the embedded model and a 1 GiB KV cache). `VLLM_ENABLE_V1_MULTIPROCESSING=0` keeps them in
this process instead: start ~14 s, ~2.2 GB, same throughput, no `__main__` guard needed, but
vLLM then seeds the global RNGs and binds the OpenMP threads of the calling process.

`model` is one of
- `"smollm2-135m-instruct"`: the embedded model, converted on first use (see `embedded.py`);
- a local folder in Hugging Face layout;
- a Hugging Face model id, passed through to vLLM (needs a network or a filled HF cache).

Environment defaults, each set only when the variable is unset:
- `VLLM_CACHE_ROOT=<medjudge cache>/vllm`, so vLLM does not write under the home folder;
- `VLLM_NO_USAGE_STATS=1`: no usage report to vLLM's server (set it to 0 to allow it);
- `VLLM_CPU_NUM_OF_RESERVED_CPU=0` on a machine with 4 usable CPUs or fewer: vLLM's CPU
  backend would keep one core for its scheduler, and its worker would compute on the rest
  (one thread of two); measured 30 % faster end to end on 2 cores (bench/README.md);
- `HF_HUB_OFFLINE=1`, for the embedded model and local folders only (an HF id needs the Hub).
  huggingface_hub reads it once, at import: without it, vLLM's config lookups wait on network
  timeouts (12 s of a start measured here). It stays set for the rest of the process, so a
  later client for an HF id in the same process fails to download: set it to 0 to prevent that.
"""

from __future__ import annotations

import gc
import importlib.util
import json
import logging
import os
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Self

from medjudge.errors import ConfigError, MissingDependency, ModelError
from medjudge.models.embedded import EMBEDDED_MODEL_NAME, cache_dir, embedded_model_dir
from medjudge.models.engine_options import EngineOptions, check_engine_options, engine_kwargs
from medjudge.models.vllm_lengths import without_overlong
from medjudge.records import ChatRequest, Completion, Message, SamplingConfig

if TYPE_CHECKING:
    from vllm import LLM, RequestOutput, SamplingParams

__all__ = ["KNOWN_ANSWER_PROBE", "TRUNCATED_JSON_ERROR", "VllmClient"]

logger = logging.getLogger(__name__)

#: The error of a JSON-schema request cut off by max_tokens: its text is not valid JSON.
TRUNCATED_JSON_ERROR = "truncated: max_tokens reached"

#: Structured outputs for every request that carries a JSON schema. xgrammar must be named:
#: with backend "auto" vLLM refuses disable_any_whitespace, and per request it is ignored.
#: Without it a small model pads the JSON with newlines until max_tokens.
_STRUCTURED_OUTPUTS = {"backend": "xgrammar", "disable_any_whitespace": True}

#: A question any chat model answers; asked once after the engine starts (`probe=True`).
KNOWN_ANSWER_PROBE = ChatRequest(
    messages=(Message(role="user", content="What is the capital of France?"),),
    sampling=SamplingConfig(temperature=0.0, top_p=1.0, max_tokens=24, seed=0),
)
_PROBE_ANSWER = "paris"
#: On this many usable CPUs or fewer, vLLM's CPU worker gets them all (none kept back for
#: its scheduler): see `_set_env_defaults`.
_FEW_CPUS = 4


class VllmClient:
    """A ModelClient running a vLLM engine in this process (offline `LLM.chat`).

    Args:
        model: the embedded model's name, a local Hugging Face folder, or an HF model id.
        max_model_len: the longest prompt + reply, in tokens.
        kv_cache_gib: KV cache size on the CPU backend; an explicit
            `VLLM_CPU_KVCACHE_SPACE` in the environment still wins (vLLM's rule). On a GPU
            it is not used: vLLM sizes the cache from its memory utilisation setting.
        dtype: weights dtype passed to vLLM ("auto" reads it from the model config). None:
            "float32" for the embedded model on a CPU, else "auto". vllm-cpu's bfloat16
            path computed garbage on some CPUs of our kind (with AMX), while float32 gave
            the same answers as Hugging Face transformers; the embedded model is small
            enough for float32 to cost nothing that matters.
        engine: parallelism, memory, quantization, eager mode and other `vllm.LLM`
            arguments (`EngineOptions`). What vLLM would refuse only when starting is
            refused here: engine args missing from vLLM's `EngineArgs`, an unknown
            quantization method (both checks import vLLM), data parallel in one offline
            engine. Default: one device, eager on a CPU (start in ~20 s instead of ~80 s),
            CUDA graphs on a GPU.
        probe: after the engine starts, ask a question whose answer any instruct model
            gives (`KNOWN_ANSWER_PROBE`) and fail loudly when the reply lacks it, rather than
            answer a benchmark with garbage. Pass False for a model that is not expected to
            know (a base model, a model with an unusual chat format).

    Each request's sampling (temperature, top_p, max_tokens) and seed (`request.seed`,
    else `request.sampling.seed`) are honoured per request. A prompt of `max_model_len`
    tokens or more is counted before the batch runs and comes back alone as a Completion with
    `error` ("prompt is N tokens, over max_model_len M; raise --max-model-len"). Any other
    request vLLM rejects (a schema xgrammar cannot compile, ...) fails the whole call; the
    batch is then rerun one request at a time, so that only the bad one fails.

    `latency_s` is the request's share of its batch's wall time, split in proportion to the
    tokens each request generated, so the shares add up to the batch's wall time. vLLM's
    offline API reports no per-request timing; requests of one batch run interleaved.
    """

    def __init__(
        self,
        model: str,
        *,
        max_model_len: int = 4096,
        kv_cache_gib: float = 1.0,
        dtype: str | None = None,
        engine: EngineOptions | None = None,
        probe: bool = True,
    ) -> None:
        if not model.strip():
            raise ConfigError(
                f"VllmClient needs a model: a local folder, an HF id or '{EMBEDDED_MODEL_NAME}'"
            )
        if max_model_len < 1:
            raise ConfigError(f"max_model_len must be at least 1, got {max_model_len}")
        if not kv_cache_gib > 0:
            raise ConfigError(f"kv_cache_gib must be positive, got {kv_cache_gib}")
        self.engine = engine or EngineOptions()
        check_engine_options(self.engine)
        self.name = model
        self.max_model_len = max_model_len
        #: As asked (None: eager on a CPU only); after `start()`, what the engine runs.
        self.enforce_eager: bool | None = self.engine.enforce_eager
        self.kv_cache_gib = kv_cache_gib
        #: As asked; `resolved_dtype` is what the engine was started with.
        self.dtype = dtype
        self.resolved_dtype: str | None = None
        self.probe = probe
        #: The known-answer probe's reply, once the engine has started with `probe` on.
        self.probe_reply: str | None = None
        #: The folder or id handed to vLLM; for the embedded model known after `start()`.
        self.model_path: str | None = None
        self._is_local = _check_model(model)
        if self._is_local and model != EMBEDDED_MODEL_NAME:
            self.model_path = str(Path(model).expanduser().resolve())
        #: Seconds the engine took to start (conversion of the embedded model included).
        self.start_seconds: float | None = None
        self._llm: LLM | None = None
        self._start_error: Exception | None = None
        self._closed = False
        self._lock = threading.RLock()

    def __repr__(self) -> str:
        state = "closed" if self._closed else "running" if self._llm else "not started"
        return f"VllmClient({self.name!r}, {state})"

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    @property
    def started(self) -> bool:
        return self._llm is not None

    # -- engine life cycle ---------------------------------------------------------------

    def start(self) -> None:
        """Start the engine now instead of on the first `generate`. Idempotent."""
        with self._lock:
            self._ensure_engine()

    def close(self) -> None:
        """Shut the engine down (its worker process exits) and drop it. Idempotent."""
        with self._lock:
            self._closed = True
            llm, self._llm = self._llm, None
            if llm is None:
                return
            engine_core = getattr(getattr(llm, "llm_engine", None), "engine_core", None)
            try:
                if engine_core is not None:
                    engine_core.shutdown()
            except Exception:  # shutting down must not raise
                logger.warning("vLLM engine shutdown failed for %s", self.name, exc_info=True)
            del llm, engine_core
            gc.collect()
            logger.info("vLLM engine for %s shut down", self.name)

    def _ensure_engine(self) -> LLM:
        if self._closed:
            raise ModelError(f"VllmClient({self.name!r}) is closed; create a new client")
        if self._llm is not None:
            return self._llm
        if self._start_error is not None:
            raise ModelError(
                f"vLLM engine for {self.name} failed to start earlier: {self._start_error}"
            ) from self._start_error

        _set_env_defaults(offline=self._is_local)
        if importlib.util.find_spec("vllm") is None:
            raise MissingDependency("vllm", "cpu")
        started = time.perf_counter()
        if self.name == EMBEDDED_MODEL_NAME:
            self.model_path = str(embedded_model_dir())
        model_path = self.model_path or self.name
        try:
            import vllm
            from vllm.platforms import current_platform

            on_cpu = current_platform.is_cpu()
            self.resolved_dtype = self.dtype or (
                "float32" if self.name == EMBEDDED_MODEL_NAME and on_cpu else "auto"
            )
            arguments = engine_kwargs(
                self.engine,
                model_path,
                on_cpu=on_cpu,
                max_model_len=self.max_model_len,
                dtype=self.resolved_dtype,
                kv_cache_gib=self.kv_cache_gib,
                structured_outputs=_STRUCTURED_OUTPUTS,
            )
            self.enforce_eager = arguments["enforce_eager"]
            logger.info("Starting the vLLM engine for %s (%s)", self.name, model_path)
            llm = vllm.LLM(**arguments)
        except ImportError as error:
            raise MissingDependency("vllm", "cpu") from error
        except Exception as error:
            self._start_error = error
            raise ModelError(f"vLLM could not start {self.name} ({model_path}): {error}") from error
        if self.probe:
            self._check_known_answer(llm)
        self._llm = llm
        self.start_seconds = time.perf_counter() - started
        logger.info("vLLM engine for %s ready in %.1f s", self.name, self.start_seconds)
        return llm

    def _check_known_answer(self, llm: LLM) -> None:
        """Ask the probe question; on a wrong reply shut the engine down and raise."""
        (out,) = self._generate(llm, [KNOWN_ANSWER_PROBE])
        self.probe_reply = out.text
        if out.text is not None and _PROBE_ANSWER in out.text.casefold():
            logger.info("known-answer probe passed: %r", out.text)
            return
        self._llm = llm
        self.close()
        self._closed = False
        error = ModelError(
            f"vLLM's {self.name} failed the known-answer probe: asked "
            f"{KNOWN_ANSWER_PROBE.messages[0].content!r}, it replied {out.text or out.error!r}"
            f" (dtype {self.resolved_dtype}). The engine is computing garbage or the model "
            "does not follow chat: try --dtype float32 (vLLM's bfloat16 path is wrong on some "
            "CPUs), or pass --no-probe for a model not expected to answer it."
        )
        self._start_error = error
        raise error

    # -- generation ----------------------------------------------------------------------

    def generate(self, requests: Sequence[ChatRequest]) -> list[Completion]:
        """One Completion per request, in order, from one batched `LLM.chat` call."""
        requests = list(requests)
        if not requests:
            return []
        with self._lock:
            llm = self._ensure_engine()
            return self._generate(llm, requests)

    def _generate(self, llm: LLM, requests: list[ChatRequest]) -> list[Completion]:
        from vllm.sampling_params import StructuredOutputsParams  # not in vllm's top level

        rejected = _request_errors()
        results: dict[int, Completion] = {}
        # `LLM.chat` takes one set of chat template kwargs per call: one call per set.
        groups: dict[str, list[int]] = {}
        params: dict[int, SamplingParams] = {}
        for index, request in enumerate(requests):
            try:
                params[index] = _sampling_params(request, StructuredOutputsParams)
            except rejected as error:
                results[index] = Completion(error=f"rejected by vLLM: {error}")
                continue
            kwargs = json.dumps(request.chat_template_kwargs or {}, sort_keys=True)
            groups.setdefault(kwargs, []).append(index)
        for indices in groups.values():
            results.update(self._generate_batch(llm, requests, indices, params))
        return [results[i] for i in range(len(requests))]

    def _generate_batch(
        self,
        llm: LLM,
        requests: list[ChatRequest],
        batch: list[int],
        all_params: dict[int, SamplingParams],
    ) -> dict[int, Completion]:
        """Requests `batch` (which share their chat template kwargs) in one `LLM.chat`."""
        rejected = _request_errors()
        kwargs = requests[batch[0]].chat_template_kwargs
        params = [all_params[i] for i in batch]
        conversations = [
            [{"role": m.role, "content": m.content} for m in requests[i].messages] for i in batch
        ]
        results: dict[int, Completion] = {}
        batch, conversations, params = without_overlong(
            llm, self.max_model_len, batch, conversations, params, results, _request_errors()
        )
        if not batch:
            return results
        started = time.perf_counter()
        try:
            outputs = _chat(llm, conversations, params, kwargs)
        except rejected as error:
            # One request spoils the whole call; run them one by one to find it.
            logger.warning(
                "vLLM rejected a batch of %d requests (%s); running them one at a time",
                len(batch),
                error,
            )
            results.update(
                self._generate_singly(llm, requests, batch, conversations, params, kwargs)
            )
        else:
            elapsed = time.perf_counter() - started
            weights = [len(o.outputs[0].token_ids) + 1 if o.outputs else 1 for o in outputs]
            total = sum(weights)
            for index, output, weight in zip(batch, outputs, weights, strict=True):
                results[index] = _completion(requests[index], output, elapsed * weight / total)
        return results

    def _generate_singly(
        self,
        llm: LLM,
        requests: list[ChatRequest],
        batch: list[int],
        conversations: list[list[dict[str, str]]],
        params: list[SamplingParams],
        kwargs: dict | None,
    ) -> dict[int, Completion]:
        rejected = _request_errors()
        results: dict[int, Completion] = {}
        for index, conversation, param in zip(batch, conversations, params, strict=True):
            started = time.perf_counter()
            try:
                (output,) = _chat(llm, [conversation], [param], kwargs)
            except rejected as error:
                results[index] = Completion(error=f"rejected by vLLM: {error}")
                continue
            results[index] = _completion(requests[index], output, time.perf_counter() - started)
        return results


def _chat(
    llm: LLM,
    conversations: list[list[dict[str, str]]],
    params: list[SamplingParams],
    chat_template_kwargs: dict | None = None,
) -> list[RequestOutput]:
    extra = {} if chat_template_kwargs is None else {"chat_template_kwargs": chat_template_kwargs}
    try:
        return llm.chat(conversations, params, use_tqdm=False, **extra)
    except _request_errors():
        raise
    except Exception as error:
        raise ModelError(f"vLLM failed while generating: {error}") from error


def _sampling_params(request: ChatRequest, structured_outputs_params: type) -> SamplingParams:
    from vllm import SamplingParams

    sampling = request.sampling
    structured = (
        structured_outputs_params(json=request.json_schema)
        if request.json_schema is not None
        else None
    )
    return SamplingParams(
        n=1,
        temperature=sampling.temperature,
        top_p=sampling.top_p,
        max_tokens=sampling.max_tokens,
        seed=request.seed if request.seed is not None else sampling.seed,
        structured_outputs=structured,
    )


def _completion(request: ChatRequest, output: RequestOutput, latency_s: float) -> Completion:
    prompt_tokens = len(output.prompt_token_ids) if output.prompt_token_ids is not None else None
    if not output.outputs:
        return Completion(
            error="vLLM returned no output", prompt_tokens=prompt_tokens, latency_s=latency_s
        )
    choice = output.outputs[0]
    finish = choice.finish_reason
    error: str | None = None
    if finish == "length" and request.json_schema is not None:
        error = TRUNCATED_JSON_ERROR
    elif finish not in ("stop", "length"):
        error = f"generation ended with finish_reason {finish!r}"
    return Completion(
        text=choice.text,
        error=error,
        finish_reason=finish,
        prompt_tokens=prompt_tokens,
        completion_tokens=len(choice.token_ids),
        latency_s=latency_s,
    )


def _request_errors() -> tuple[type[BaseException], ...]:
    """Exceptions that mean "vLLM refused this request", as opposed to a broken engine."""
    import jinja2

    errors: list[type[BaseException]] = [ValueError, jinja2.TemplateError]
    try:
        from vllm.exceptions import VLLMClientError

        errors.append(VLLMClientError)
    except ImportError:  # older vLLM: validation errors are ValueErrors
        pass
    return tuple(errors)


def _check_model(model: str) -> bool:
    """True for the embedded model or a local folder; raise for a path that does not exist."""
    if model == EMBEDDED_MODEL_NAME:
        return True
    path = Path(model).expanduser()
    if path.exists():
        return True
    if model.startswith(("/", "./", "../", "~")) or model.count("/") > 1:
        raise ConfigError(
            f"model folder {model} does not exist; give a Hugging Face folder, an HF model id "
            f"such as 'HuggingFaceTB/SmolLM2-135M-Instruct', or '{EMBEDDED_MODEL_NAME}'"
        )
    return False


def _set_env_defaults(*, offline: bool) -> None:
    """Set medjudge's defaults for vLLM, never overriding a value the user set."""
    os.environ.setdefault("VLLM_CACHE_ROOT", str(cache_dir() / "vllm"))
    os.environ.setdefault("VLLM_NO_USAGE_STATS", "1")
    affinity = getattr(os, "sched_getaffinity", None)
    usable = len(affinity(0)) if affinity is not None else (os.cpu_count() or 1)
    if usable <= _FEW_CPUS:
        # vLLM's CPU backend keeps one core for its scheduler process, which on 2 cores
        # leaves its worker one thread: 168 LLMEval-Med turns took 166 s so, 115 s with
        # none reserved (bench/README.md). Ignored on a GPU.
        os.environ.setdefault("VLLM_CPU_NUM_OF_RESERVED_CPU", "0")
    if not offline or "HF_HUB_OFFLINE" in os.environ:
        return
    os.environ["HF_HUB_OFFLINE"] = "1"
    constants = sys.modules.get("huggingface_hub.constants")
    if constants is not None and not getattr(constants, "HF_HUB_OFFLINE", True):
        logger.info(
            "huggingface_hub was imported before HF_HUB_OFFLINE=1 was set, so vLLM's start may"
            " wait on network timeouts; set HF_HUB_OFFLINE=1 before importing it to avoid that"
        )
