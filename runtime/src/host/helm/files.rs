//! Per-tenant Helm folders and the vetting of local paths a call names.
//!
//! Layout under the state folder: `tenants/<tenant>/{config,cache,data,files,tmp}`.
//! `config` holds the tenant's `repositories.yaml`, `cache` its repository
//! indexes, `files` the charts and values files its calls may name by
//! relative path (placed there by the operator). A local path is accepted
//! only if, with symlinks resolved, it lies inside `files` or one of the
//! configured file roots: a call can never make the runtime read an
//! arbitrary server file.

use sha2::{Digest, Sha256};
use std::io;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};

/// Largest values file read.
pub const MAX_VALUES_FILE: u64 = 1024 * 1024;

/// Create `dir` (and parents) readable only by the runtime's user.
pub fn private_dir(dir: &Path) -> io::Result<()> {
    std::fs::create_dir_all(dir)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))?;
    }
    Ok(())
}

/// A tenant id as a folder name: kept when plain, hashed otherwise.
pub fn tenant_folder(tenant: &str) -> String {
    let plain = !tenant.is_empty()
        && tenant.len() <= 64
        && !tenant.starts_with('.')
        && tenant.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'));
    if plain {
        tenant.to_string()
    } else {
        let digest = Sha256::digest(tenant.as_bytes());
        format!("t-{}", &hex::encode(digest)[..24])
    }
}

/// One tenant's Helm folders (created on first use).
#[derive(Debug, Clone)]
pub struct TenantDirs {
    pub root: PathBuf,
    pub config: PathBuf,
    pub cache: PathBuf,
    pub data: PathBuf,
    pub files: PathBuf,
    tmp: PathBuf,
}

impl TenantDirs {
    pub fn open(state_dir: &Path, tenant: &str) -> io::Result<Self> {
        private_dir(state_dir)?;
        let root = state_dir.join("tenants").join(tenant_folder(tenant));
        let dirs = Self {
            config: root.join("config"),
            cache: root.join("cache"),
            data: root.join("data"),
            files: root.join("files"),
            tmp: root.join("tmp"),
            root,
        };
        for d in [&dirs.root, &dirs.config, &dirs.cache, &dirs.data, &dirs.files, &dirs.tmp] {
            private_dir(d)?;
        }
        Ok(dirs)
    }

    pub fn repositories_file(&self) -> PathBuf {
        self.config.join("repositories.yaml")
    }

    pub fn repository_cache(&self) -> PathBuf {
        self.cache.join("repository")
    }

    /// A fresh scratch folder for one call, removed when dropped.
    pub fn scratch(&self) -> io::Result<Scratch> {
        static NEXT: AtomicU64 = AtomicU64::new(0);
        let nanos = std::time::SystemTime::now().duration_since(std::time::UNIX_EPOCH).map_or(0, |d| d.as_nanos());
        let name = format!("call-{}-{}-{nanos}", std::process::id(), NEXT.fetch_add(1, Ordering::Relaxed));
        let path = self.tmp.join(name);
        private_dir(&path)?;
        Ok(Scratch { path, next: 0 })
    }
}

/// A per-call folder for values documents handed to helm.
pub struct Scratch {
    pub path: PathBuf,
    next: u32,
}

impl Scratch {
    /// Write `content` to a new file in the folder; its path.
    pub fn write(&mut self, content: &[u8]) -> io::Result<PathBuf> {
        self.next += 1;
        let file = self.path.join(format!("values-{}.yaml", self.next));
        std::fs::write(&file, content)?;
        Ok(file)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// A local chart or values file a call may not read.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("{path}: {source}")]
    Io {
        path: String,
        #[source]
        source: io::Error,
    },
    #[error("`{0}` is outside the tenant's files folder and the configured file roots (helm.file_roots)")]
    Outside(String),
    #[error("values file `{0}` not found")]
    NotFound(String),
    #[error("values file `{0}` is not a regular file")]
    NotAFile(String),
    #[error("values file `{0}` is larger than {MAX_VALUES_FILE} bytes")]
    TooLarge(String),
}

/// Resolve a local path named by a call: relative to the tenant's `files`
/// folder, or absolute; after resolving symlinks it must lie inside `files`
/// or a file root. `Ok(None)`: nothing exists at that path.
pub fn vet_local(path: &str, tenant: &TenantDirs, roots: &[PathBuf]) -> Result<Option<PathBuf>, FileError> {
    let raw = Path::new(path);
    let joined = if raw.is_absolute() { raw.to_path_buf() } else { tenant.files.join(raw) };
    let io = |source| FileError::Io { path: path.to_string(), source };
    let canonical = match joined.canonicalize() {
        Ok(p) => p,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io(e)),
    };
    let files = tenant.files.canonicalize().unwrap_or_else(|_| tenant.files.clone());
    if canonical.starts_with(&files) || roots.iter().any(|r| canonical.starts_with(r)) {
        Ok(Some(canonical))
    } else {
        Err(FileError::Outside(path.to_string()))
    }
}

/// Read a vetted values file (a regular file of bounded size).
pub fn read_values_file(path: &str, tenant: &TenantDirs, roots: &[PathBuf]) -> Result<Vec<u8>, FileError> {
    let io = |source| FileError::Io { path: path.to_string(), source };
    let file = vet_local(path, tenant, roots)?.ok_or_else(|| FileError::NotFound(path.to_string()))?;
    let meta = std::fs::metadata(&file).map_err(io)?;
    if !meta.is_file() {
        return Err(FileError::NotAFile(path.to_string()));
    }
    if meta.len() > MAX_VALUES_FILE {
        return Err(FileError::TooLarge(path.to_string()));
    }
    std::fs::read(&file).map_err(io)
}

/// Total size and count of the files under `dir`.
pub fn usage(dir: &Path) -> (u64, u64) {
    let (mut files, mut bytes) = (0, 0);
    let mut stack = vec![dir.to_path_buf()];
    while let Some(d) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&d) else { continue };
        for entry in entries.flatten() {
            match entry.file_type() {
                Ok(t) if t.is_dir() => stack.push(entry.path()),
                Ok(t) if t.is_file() => {
                    files += 1;
                    bytes += entry.metadata().map_or(0, |m| m.len());
                }
                _ => {}
            }
        }
    }
    (files, bytes)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tenant_folders_are_safe_names() {
        assert_eq!(tenant_folder("default"), "default");
        assert_eq!(tenant_folder("team-a.prod"), "team-a.prod");
        for evil in ["../x", "", ".hidden", "a/b", "x\0y"] {
            let f = tenant_folder(evil);
            assert!(f.starts_with("t-") && !f.contains('/') && !f.contains(".."), "{evil:?} -> {f}");
        }
        assert_ne!(tenant_folder("a/b"), tenant_folder("a/c"));
    }

    #[test]
    fn local_paths_stay_inside_files_and_roots() {
        let state = std::env::temp_dir().join(format!("helm-files-test-{}", std::process::id()));
        let tenant = TenantDirs::open(&state, "t1").unwrap();
        std::fs::write(tenant.files.join("v.yaml"), "a: 1\n").unwrap();
        assert!(vet_local("v.yaml", &tenant, &[]).unwrap().is_some());
        assert!(vet_local("missing.yaml", &tenant, &[]).unwrap().is_none());
        assert!(vet_local("../../../../../../etc/hostname", &tenant, &[]).is_err());
        assert!(vet_local("/etc/hostname", &tenant, &[]).is_err());
        #[cfg(unix)]
        {
            std::os::unix::fs::symlink("/etc", tenant.files.join("escape")).unwrap();
            assert!(vet_local("escape/hostname", &tenant, &[]).is_err());
        }
        let root = Path::new("/etc").canonicalize().unwrap();
        assert!(vet_local("/etc/hostname", &tenant, &[root]).is_ok());
        assert_eq!(read_values_file("v.yaml", &tenant, &[]).unwrap(), b"a: 1\n");
        assert!(read_values_file(".", &tenant, &[]).unwrap_err().to_string().contains("not a regular file"));
        let mut scratch = tenant.scratch().unwrap();
        let written = scratch.write(b"x: 2").unwrap();
        assert!(written.exists());
        let dir = scratch.path.clone();
        drop(scratch);
        assert!(!dir.exists());
        std::fs::remove_dir_all(&state).unwrap();
    }
}
