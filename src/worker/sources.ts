/** A ModelRequest (plain data from the main thread) → the engine's ModelSource. */
import { filesSource, hubSource, type ModelSource, urlSource } from '../engine';
import type { ModelRequest } from './api';

export function sourceFor(request: ModelRequest): ModelSource {
  switch (request.kind) {
    case 'url':
      return urlSource(new URL(request.url, self.location.href).href.replace(/\/+$/, ''), {
        id: request.id ?? request.url,
        ...(request.version ? { version: request.version } : {}),
      });
    case 'hub':
      return hubSource(request.repo, {
        ...(request.revision ? { revision: request.revision } : {}),
        ...(request.endpoint ? { endpoint: request.endpoint } : {}),
        ...(request.token ? { token: request.token } : {}),
        tokenHint:
          'enter an access token (huggingface.co/settings/tokens) in the "Access token" field under "Hub repo"',
      });
    case 'files':
      return filesSource(withPaths(request.files, request.paths));
  }
}

/**
 * Structured cloning keeps a File's bytes and name but drops `webkitRelativePath`; put it back so
 * that a folder with subfolders matches files by path.
 */
function withPaths(files: readonly File[], paths: readonly string[] | undefined): File[] {
  return files.map((file, i) => {
    const path = paths?.[i];
    if (path && !file.webkitRelativePath) {
      Object.defineProperty(file, 'webkitRelativePath', { value: path });
    }
    return file;
  });
}
