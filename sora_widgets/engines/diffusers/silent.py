from .common import DiffusersEngine as SilentVideoPlusAudioEngine
SILENT_FAMILIES = {}
