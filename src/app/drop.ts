/** The files of a dropped folder (or files), with their paths, from a drag-and-drop event. */
import type { FolderFiles } from './actions/model';

export async function filesFromDrop(data: DataTransfer): Promise<FolderFiles> {
  const entries = [...data.items]
    .map((item) => item.webkitGetAsEntry?.())
    .filter((e): e is FileSystemEntry => e !== null && e !== undefined);
  if (entries.length === 0) {
    const files = [...data.files];
    return { files, paths: files.map((f) => f.name) };
  }
  const out: { file: File; path: string }[] = [];
  for (const entry of entries) await walk(entry, '', out);
  return { files: out.map((o) => o.file), paths: out.map((o) => o.path) };
}

async function walk(
  entry: FileSystemEntry,
  prefix: string,
  out: { file: File; path: string }[],
): Promise<void> {
  const path = prefix ? `${prefix}/${entry.name}` : entry.name;
  if (entry.isFile) {
    const file = await new Promise<File>((ok, fail) => (entry as FileSystemFileEntry).file(ok, fail));
    out.push({ file, path });
    return;
  }
  const reader = (entry as FileSystemDirectoryEntry).createReader();
  // readEntries returns the directory in batches; an empty batch means the end.
  for (;;) {
    const batch = await new Promise<FileSystemEntry[]>((ok, fail) => reader.readEntries(ok, fail));
    if (batch.length === 0) break;
    for (const child of batch) await walk(child, path, out);
  }
}

/** Files from an `<input type="file" webkitdirectory>`. */
export function filesFromInput(list: FileList): FolderFiles {
  const files = [...list];
  return { files, paths: files.map((f) => f.webkitRelativePath || f.name) };
}
