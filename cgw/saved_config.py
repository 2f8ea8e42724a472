"""A running configuration saved to disk, read back as the `DeviceConfig` a device would return.

A plain file is a CLI device's saved `show running-config` (or `show configuration | display
set`): one `running-config` file, as is. A folder or a tar archive holds a host's files at their
absolute paths below it (`DIR/etc/swanctl/conf.d/x.conf` is the host's `/etc/swanctl/conf.d/
x.conf`). Nothing vendor-specific happens here: the platform's deployer reads the text exactly as
it reads what the device printed.
"""

from __future__ import annotations

import posixpath
import tarfile
from pathlib import Path

from cgw.errors import CgwError
from cgw.model import DeviceConfig, DeviceFile


class SavedConfigError(CgwError):
    """A saved configuration that cannot be read."""


def load_saved_config(path: Path, device: str, platform: str) -> DeviceConfig:
    """The configuration saved at `path` (file, folder or tar archive) for `device`."""
    try:
        if path.is_dir():
            return DeviceConfig(device, platform, _folder_files(path))
        if not path.exists():
            raise SavedConfigError(f"{path}: no such file or folder")
        if tarfile.is_tarfile(path):
            return DeviceConfig(device, platform, _archive_files(path))
        return DeviceConfig.cli(device, platform, _decode(path.read_bytes(), path))
    except PermissionError as error:
        raise SavedConfigError(f"{path}: cannot read it ({error.strerror})") from None
    except (OSError, tarfile.TarError) as error:
        raise SavedConfigError(f"{path}: cannot read it ({error})") from None


def _decode(data: bytes, where: Path | str) -> str:
    try:
        return data.decode()
    except UnicodeDecodeError:
        raise SavedConfigError(f"{where}: not UTF-8 text") from None


def _folder_files(folder: Path) -> tuple[DeviceFile, ...]:
    """Every regular file below `folder`, at its path on the host."""
    files = []
    for file in sorted(p for p in folder.rglob("*") if p.is_file() and not p.is_symlink()):
        host_path = "/" + file.relative_to(folder).as_posix()
        files.append(DeviceFile(host_path, _decode(file.read_bytes(), file)))
    if not files:
        raise SavedConfigError(f"{folder}: the folder holds no files")
    return tuple(files)


def _archive_files(archive: Path) -> tuple[DeviceFile, ...]:
    """Every regular file of a tar archive (any compression), at its path on the host."""
    files = []
    with tarfile.open(archive) as tar:
        for member in tar:
            if not member.isfile():
                continue
            host_path = posixpath.normpath("/" + member.name.lstrip("/"))
            if ".." in member.name.split("/"):
                raise SavedConfigError(f"{archive}: member {member.name!r} leaves the archive")
            extracted = tar.extractfile(member)
            if extracted is None:
                continue
            files.append(
                DeviceFile(host_path, _decode(extracted.read(), f"{archive}:{member.name}"))
            )
    if not files:
        raise SavedConfigError(f"{archive}: the archive holds no files")
    return tuple(sorted(files, key=lambda f: f.path))
