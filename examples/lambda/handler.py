"""A Lambda handler that uses what efsync-action publishes.

The function mounts the EFS access point at /mnt/efs (FileSystemConfigs, LocalMountPath /mnt/efs). efsync-action
published:

  /mnt/efs/lib     -> .lib.efsync/<release>      the dependencies (requirements.txt)
  /mnt/efs/model   -> .model.efsync/<release>    the model files (local-dir: examples/model)

Each target is a symlink that efsync switches atomically to a new release. Resolving it once, at start-up, pins this
execution environment to one release: a warm environment never mixes two releases, and it keeps working after a
switch because old releases are kept (keep-releases).
"""

import json
import os
import sys

MOUNT = os.environ.get('EFS_MOUNT', '/mnt/efs')

# Pin the releases once, at cold start (before importing anything from EFS). With the default mount path this is
# sys.path.insert(0, os.path.realpath('/mnt/efs/lib')).
LIB = os.path.realpath(os.path.join(MOUNT, 'lib'))
MODEL = os.path.realpath(os.path.join(MOUNT, 'model'))
sys.path.insert(0, LIB)


def _load_model(directory):
    """Reads the model's files once per execution environment."""
    with open(os.path.join(directory, 'config.json'), encoding='utf-8') as handle:
        config = json.load(handle)
    with open(os.path.join(directory, 'labels.txt'), encoding='utf-8') as handle:
        labels = [line.strip() for line in handle if line.strip()]
    return config, labels


CONFIG, LABELS = _load_model(MODEL)


def handler(event, context):
    """Returns what this environment serves: the releases it pinned and the model's labels."""
    text = str((event or {}).get('text', ''))
    return {
        'statusCode': 200,
        'body': json.dumps(
            {
                'input': text,
                'labels': LABELS,
                'model': CONFIG,
                'releases': {'lib': os.path.basename(LIB), 'model': os.path.basename(MODEL)},
            }
        ),
    }
