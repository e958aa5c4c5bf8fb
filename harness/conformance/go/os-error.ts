/**
 * Go's *fs.PathError text (`<op> <path>: <errno text>`, golang/go src/io/fs/fs.go PathError.Error)
 * for a Node.js filesystem error, so kubelet's wrapped `%w` messages read as kubelet prints them.
 * The errno texts are Linux strerror strings as Go's syscall.Errno.Error() returns them
 * (src/syscall/zerrors_linux_amd64.go); an unknown code keeps Node's message.
 */
const ERRNO_TEXT: Readonly<Record<string, string>> = {
  ENOENT: 'no such file or directory',
  EACCES: 'permission denied',
  EISDIR: 'is a directory',
  ENOTDIR: 'not a directory',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'file name too long',
};

export function goPathError(op: 'open' | 'read' | 'stat', path: string, error: unknown): string {
  const code = (error as NodeJS.ErrnoException | undefined)?.code;
  const text = code !== undefined ? ERRNO_TEXT[code] : undefined;
  return `${op} ${path}: ${text ?? (error instanceof Error ? error.message : String(error))}`;
}
