"""Where training runs: the tf.distribute strategy, set up in this one place.

Config keys (see `STRATEGIES`):

    strategy   'auto'        TPU if one is configured, several workers if TF_CONFIG
                             or Slurm says so, all local GPUs if more than one,
                             else the single device (GPU:0 or CPU:0)
               'one_device'  one device (`devices[0]` if given)
               'mirrored'    data parallel over local devices (`devices`, default
                             all local GPUs): MirroredStrategy
               'multi_worker' data parallel over machines: MultiWorkerMirrored-
                             Strategy, cluster from TF_CONFIG or Slurm (`cluster`)
               'tpu'         TPUStrategy (TPUClusterResolver; address in $TPU_NAME)
    cluster    'tf_config' | 'slurm'   where multi_worker learns the cluster
    devices    None or a list like ['/gpu:0', '/gpu:1']
    placement  'none' | 'towers'       the paper's model parallelism: each of
                             alexnet2012's two towers on its own device
    tower_devices None or two device names; default the first two local GPUs

`context(config)` finds all of this out once (with the precision); the rest of the
training path reads the `Context` it returns. One custom training loop serves every
strategy (trainer.py explains why not `model.fit`).
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import tensorflow as tf

from alexnet.config import ConfigError

STRATEGIES = ("auto", "one_device", "mirrored", "multi_worker", "tpu")
CLUSTERS = ("tf_config", "slurm")
PLACEMENTS = ("none", "towers")


def _slurm_tasks() -> int:
    return int(os.environ.get("SLURM_STEP_NUM_TASKS") or os.environ.get("SLURM_NTASKS") or 1)


def _node_gpus() -> int:
    """GPUs on this node, without initialising TensorFlow's (Slurm sets up before)."""
    visible = os.environ.get("CUDA_VISIBLE_DEVICES")
    if visible is not None:
        return len([d for d in visible.split(",") if d.strip()])
    try:
        out = subprocess.run(["nvidia-smi", "--list-gpus"], capture_output=True, text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired):
        return 0
    return sum(line.startswith("GPU ") for line in out.stdout.splitlines())


def _tf_config_workers() -> int:
    spec = json.loads(os.environ.get("TF_CONFIG") or "{}").get("cluster", {})
    return len(spec.get("worker", [])) + len(spec.get("chief", []))


def resolve_kind(config: dict) -> str:
    """The strategy kind `config['strategy']` names, with 'auto' resolved."""
    kind = config.get("strategy", "auto")
    if kind not in STRATEGIES:
        raise ConfigError(f"unknown strategy {kind!r}; expected one of {', '.join(STRATEGIES)}")
    if config.get("placement") == "towers":
        # The paper's model parallelism: one replica spread over two devices.
        if kind not in ("auto", "one_device"):
            raise ConfigError(f"placement 'towers' runs one model over two devices and needs strategy "
                              f"'one_device' (or 'auto'), not {kind!r}")
        return "one_device"
    if kind != "auto":
        return kind
    if os.environ.get("TPU_NAME"):
        return "tpu"
    if _tf_config_workers() > 1 or (config.get("cluster") == "slurm" and _slurm_tasks() > 1):
        return "multi_worker"
    if config.get("devices") and len(config["devices"]) > 1:
        return "mirrored"
    return "mirrored" if len(tf.config.list_logical_devices("GPU")) > 1 else "one_device"


def cluster_resolver(config: dict):
    """The cluster resolver for multi_worker: TF_CONFIG (default) or Slurm.

    Slurm: typically one task per node (`srun --ntasks-per-node=1`), which then
    drives all of its node's GPUs; with several tasks per node the GPUs are
    split among them. Workers talk on port $SLURM_TF_PORT (default 8888).
    """
    cluster = config.get("cluster", "tf_config")
    if cluster not in CLUSTERS:
        raise ConfigError(f"unknown cluster {cluster!r}; expected one of {', '.join(CLUSTERS)}")
    if cluster == "slurm":
        if "SLURM_JOB_ID" not in os.environ:
            raise ConfigError("cluster 'slurm' needs a Slurm job (SLURM_JOB_ID is not set); "
                              "start it with srun or sbatch")
        port = int(os.environ.get("SLURM_TF_PORT", 8888))
        resolver = tf.distribute.cluster_resolver.SlurmClusterResolver
        gpus = _node_gpus()
        if gpus:
            # Shares the node's GPUs among its tasks via CUDA_VISIBLE_DEVICES, which
            # works because TensorFlow has not initialised its GPUs yet.
            return resolver(port_base=port, gpus_per_node=gpus)
        # CPU nodes: the resolver still wants a GPU layout; give it a dummy one, unused.
        return resolver(port_base=port, gpus_per_node=1024, gpus_per_task=1, auto_set_gpu=False)
    if not os.environ.get("TF_CONFIG"):
        raise ConfigError("strategy 'multi_worker' needs TF_CONFIG (cluster and task) or cluster='slurm'")
    return tf.distribute.cluster_resolver.TFConfigClusterResolver()


def make_strategy(config: dict) -> tf.distribute.Strategy:
    """Builds the strategy the config asks for; the model must be built in its scope."""
    kind = resolve_kind(config)
    devices = config.get("devices") or None
    if kind == "one_device":
        default = "/gpu:0" if tf.config.list_logical_devices("GPU") else "/cpu:0"
        return tf.distribute.OneDeviceStrategy(devices[0] if devices else default)
    if kind == "mirrored":
        return tf.distribute.MirroredStrategy(devices)
    if kind == "multi_worker":
        options = tf.distribute.experimental.CommunicationOptions(
            implementation=tf.distribute.experimental.CommunicationImplementation.AUTO)
        return tf.distribute.MultiWorkerMirroredStrategy(
            cluster_resolver=cluster_resolver(config), communication_options=options)
    resolver = tf.distribute.cluster_resolver.TPUClusterResolver(tpu=os.environ.get("TPU_NAME", ""))
    tf.config.experimental_connect_to_cluster(resolver)
    tf.tpu.experimental.initialize_tpu_system(resolver)
    return tf.distribute.TPUStrategy(resolver)


def _cpu_has_bf16() -> bool:
    try:
        flags = Path("/proc/cpuinfo").read_text()
    except OSError:
        return False
    return "amx_bf16" in flags or "avx512_bf16" in flags


def resolve_precision(config: dict) -> str:
    """The Keras dtype policy for `config['precision']`, with 'auto' resolved.

    'auto': mixed_bfloat16 on GPUs from Ampere on (compute capability 8.0), on
    TPUs and on CPUs with bfloat16 instructions (AMX, AVX512-BF16), where it
    trains AlexNet about 4x faster than float32; mixed_float16 (with loss
    scaling) on older GPUs; float32 elsewhere.
    """
    precision = config["precision"]
    if precision == "mixed_float16" and not tf.config.list_physical_devices("GPU"):
        raise ConfigError("precision 'mixed_float16' needs a GPU (float16 on CPU is ~100x slower); "
                          "use 'mixed_bfloat16' or 'float32'")
    if precision != "auto":
        return precision
    if os.environ.get("TPU_NAME"):
        return "mixed_bfloat16"
    gpus = tf.config.list_physical_devices("GPU")
    if gpus:
        capability = tf.config.experimental.get_device_details(gpus[0]).get("compute_capability", (0, 0))
        return "mixed_bfloat16" if tuple(capability) >= (8, 0) else "mixed_float16"
    return "mixed_bfloat16" if _cpu_has_bf16() else "float32"


def tower_devices(config: dict) -> tuple[str, str] | None:
    """The two devices of the paper's model parallelism, or None (one device)."""
    placement = config.get("placement", "none")
    if placement not in PLACEMENTS:
        raise ConfigError(f"unknown placement {placement!r}; expected one of {', '.join(PLACEMENTS)}")
    if placement == "none":
        return None
    if config.get("arch") != "alexnet2012":
        raise ConfigError(f"placement 'towers' needs arch 'alexnet2012', not {config.get('arch')!r}")
    devices = config.get("tower_devices")
    if devices is None:
        gpus = [d.name for d in tf.config.list_logical_devices("GPU")]
        if len(gpus) < 2:
            raise ConfigError("placement 'towers' needs two GPUs (found "
                              f"{len(gpus)}); or name them with tower_devices=['/cpu:0','/cpu:1']")
        devices = gpus[:2]
    if len(devices) != 2:
        raise ConfigError(f"tower_devices needs exactly two devices, got {devices!r}")
    return tuple(devices)


def is_chief(strategy: tf.distribute.Strategy) -> bool:
    """Whether this process writes the run record (the chief of a multi-worker job)."""
    return bool(strategy.extended.should_checkpoint)


@dataclass(frozen=True)
class Context:
    """Everything the training path asks about distribution, found out once (`context`)."""

    strategy: tf.distribute.Strategy  # the model is built in its scope
    precision: str                    # the Keras dtype policy, 'auto' resolved
    towers: tuple[str, str] | None    # the paper's model parallelism: its two devices, or None
    workers: int                      # processes (machines) taking part, each with one input pipeline
    worker: int                       # this process's index among them
    chief: bool                       # whether this process writes the run record (worker 0)

    @property
    def replicas(self) -> int:
        return self.strategy.num_replicas_in_sync

    @property
    def local_replicas(self) -> int:
        """The replicas this worker's input pipeline feeds."""
        return self.replicas // self.workers

    def per_replica_batch(self, global_batch: int) -> int:
        """The batch each replica sees; the global batch must split evenly."""
        if global_batch % self.replicas:
            raise ConfigError(f"batch_size {global_batch} is not divisible by the {self.replicas} replicas "
                              f"of the {type(self.strategy).__name__}; use a multiple of {self.replicas}")
        return global_batch // self.replicas

    def broadcast_text(self, text: str, size: int = 1024) -> str:
        """Gives every worker the chief's `text` (e.g. the run folder it chose)."""
        if self.workers == 1:
            return text
        raw = np.zeros(size, np.int32)
        data = text.encode()[:size]
        raw[:len(data)] = np.frombuffer(data, np.uint8)
        return bytes(self._from_chief()(raw).astype(np.uint8)).rstrip(b"\0").decode()

    def flag_sharer(self):
        """A function `share(flag) -> bool` that gives every worker the chief's flag, traced
        once, for decisions during training that every worker must follow (a checkpoint
        due by the chief's clock). Every worker must call it at the same step."""
        if self.workers == 1:
            return bool
        total = self._from_chief()
        return lambda flag: bool(total(np.int32(1 if flag else 0)))

    def _from_chief(self):
        """A traced `value -> value` that hands every worker the chief's value: the chief's
        first replica contributes it, every other replica zeros, and a cross-replica sum
        gives the result to all."""
        strategy, chief = self.strategy, self.chief

        @tf.function
        def total(value):
            def contribute():
                first = tf.equal(tf.distribute.get_replica_context().replica_id_in_sync_group, 0)
                return tf.where(first, value, tf.zeros_like(value))
            return strategy.reduce(tf.distribute.ReduceOp.SUM, strategy.run(contribute), axis=None)

        return lambda value: total(tf.constant(value if chief else np.zeros_like(value))).numpy()

    def checkpoint_dir(self, run_dir: Path) -> Path:
        """Where this process saves checkpoints. Every worker must take part in a save, but
        only the chief's copy is kept: the others write to a private folder `cleanup` removes."""
        return Path(run_dir) / ("checkpoints" if self.chief else f".worker{self.worker}-checkpoints")

    def cleanup(self, run_dir: Path) -> None:
        if not self.chief:
            shutil.rmtree(self.checkpoint_dir(run_dir), ignore_errors=True)

    def describe(self) -> dict:
        """What provenance records about the distribution."""
        multi = isinstance(self.strategy, tf.distribute.MultiWorkerMirroredStrategy)
        # Not MultiWorkerMirroredStrategy's internal class name.
        info = {"strategy": "MultiWorkerMirroredStrategy" if multi else type(self.strategy).__name__,
                "replicas": self.replicas}
        if hasattr(self.strategy.extended, "worker_devices"):
            info["devices"] = list(self.strategy.extended.worker_devices)
        if multi:
            info.update(workers=self.workers, worker_index=self.worker)
        return info


def context(config: dict, strategy: tf.distribute.Strategy | None = None) -> Context:
    """Where this process trains, for `config`; builds the strategy unless one is given."""
    if strategy is None:
        strategy = make_strategy(config)
    workers, worker = 1, 0
    if isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        spec = strategy.cluster_resolver.cluster_spec().as_dict()
        workers = max(1, len(spec.get("worker", [])) + len(spec.get("chief", [])))
        worker = int(strategy.cluster_resolver.task_id or 0)
    return Context(strategy, resolve_precision(config), tower_devices(config), workers, worker,
                   is_chief(strategy))
