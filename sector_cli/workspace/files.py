"""A project's tracked source files: add, list, show, remove, and sync with the disk."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, col, select

from sector_cli.errors import NotFoundError, SectorError, UsageError
from sector_cli.plugins.detect import LanguageIndex
from sector_cli.store.engine import Store
from sector_cli.store.models import Project, SourceFile, TrackedFolder
from sector_cli.timeutil import utcnow
from sector_cli.workspace.scan import (
    FileFacts,
    Skipped,
    read_facts,
    relative_to_root,
    scan_folder,
)


@dataclass
class FileReport:
    """What an add, a sync or a removal changed, path by path."""

    added: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)  # folders newly tracked

    def counts(self) -> dict[str, int]:
        return {
            "added": len(self.added),
            "updated": len(self.updated),
            "unchanged": len(self.unchanged),
            "removed": len(self.removed),
            "skipped": len(self.skipped),
        }


@dataclass(frozen=True)
class _Found:
    """What was read from disk for an add or a sync, before anything is written."""

    files: list[FileFacts] = field(default_factory=list)
    folders: list[str] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _under(path: str, prefix: str) -> bool:
    return prefix == "." or path == prefix or path.startswith(prefix.rstrip("/") + "/")


class Files:
    """Operations on the files of one project."""

    def __init__(self, store: Store, project: Project, languages: LanguageIndex, max_size: int):
        self.store = store
        self.project = project
        self.root = Path(project.root)
        self.languages = languages
        self.max_size = max_size

    # reading the disk

    def _read(self, path: Path) -> FileFacts:
        return read_facts(self.root, path, self.languages, self.max_size)

    def _scan(self, relative: str) -> tuple[list[FileFacts], list[Skipped]]:
        return scan_folder(self.root, self.root / relative, self.languages, self.max_size)

    def _require_root(self) -> None:
        if not self.root.is_dir():
            raise SectorError(
                f"the folder of project {self.project.name!r}, {self.root}, is missing",
                f"Move it back, or `sector project rm {self.project.name}` and `sector init` "
                "where it is now",
            )

    def _relative(self, path: Path) -> str:
        return relative_to_root(self.root, path if path.is_absolute() else Path.cwd() / path)

    # the records

    def _tracked(self, session: Session) -> dict[str, SourceFile]:
        query = select(SourceFile).where(SourceFile.project_id == self.project.id)
        return {row.path: row for row in session.exec(query)}

    def _folder_rows(self, session: Session) -> dict[str, TrackedFolder]:
        query = select(TrackedFolder).where(TrackedFolder.project_id == self.project.id)
        return {row.path: row for row in session.exec(query)}

    def _record(
        self, session: Session, known: dict[str, SourceFile], facts: FileFacts, report: FileReport
    ) -> None:
        row = known.get(facts.path)
        if row is None:
            row = SourceFile(project_id=self.project.id or 0, **vars(facts))
            session.add(row)
            known[facts.path] = row
            report.added.append(facts.path)
        elif (row.sha256, row.language) != (facts.sha256, facts.language):
            for name, value in vars(facts).items():
                setattr(row, name, value)
            row.updated_at = utcnow()
            report.updated.append(facts.path)
        else:
            row.mtime, row.size = facts.mtime, facts.size
            report.unchanged.append(facts.path)

    # operations

    def add(self, paths: list[Path]) -> FileReport:
        """Track files and folders. Every path is checked before anything is stored."""
        self._require_root()
        found = _Found()
        for path in (p.absolute() for p in paths):
            if path.is_dir():
                relative = relative_to_root(self.root, path)
                files, skipped = self._scan(relative)
                found.folders.append(relative)
                found.files.extend(files)
                found.skipped.extend(skipped)
            elif not path.exists() and not path.is_symlink():
                raise UsageError(f"{path} does not exist", "Check the path (`ls` it)")
            else:
                found.files.append(self._read(path))  # NotSource: refuse the whole command

        def write(session: Session) -> FileReport:
            report = FileReport(skipped=list(found.skipped))
            known = self._tracked(session)
            folders = set(self._folder_rows(session))
            for relative in found.folders:
                if relative not in folders:
                    session.add(TrackedFolder(project_id=self.project.id or 0, path=relative))
                    folders.add(relative)
                    report.folders.append(relative)
            for facts in found.files:
                if facts.path not in report.added:  # a file given twice (alone and in a folder)
                    self._record(session, known, facts, report)
            return report

        return self.store.transaction(write)

    def sync(self) -> FileReport:
        """Bring the records in line with the disk: edits, deletions, and new files inside
        tracked folders. A file that can no longer be read keeps its record and is reported."""
        self._require_root()
        with self.store.session() as session:
            tracked = list(self._tracked(session))
            folders = list(self._folder_rows(session))
        found, gone = _Found(), []
        for relative in tracked:
            path = self.root / relative
            if not path.exists() and not path.is_symlink():
                gone.append(relative)
                continue
            try:
                found.files.append(self._read(path))
            except UsageError as exc:
                found.skipped.append(Skipped(relative, exc.message))
        for folder in folders:
            files, skipped = self._scan(folder)
            found.files.extend(f for f in files if f.path not in tracked)
            found.skipped.extend(s for s in skipped if s.path not in tracked)

        def write(session: Session) -> FileReport:
            report = FileReport(skipped=list(found.skipped))
            known = self._tracked(session)
            for relative in gone:
                if relative in known:
                    session.delete(known.pop(relative))
                    report.removed.append(relative)
            for facts in found.files:
                self._record(session, known, facts, report)
            return report

        return self.store.transaction(write)

    def tracked(self, language: str | None = None) -> list[SourceFile]:
        if language and language not in self.languages.languages:
            known = ", ".join(sorted(self.languages.languages))
            raise UsageError(f"unknown language {language!r}", f"Use one of: {known}")
        with self.store.session() as session:
            query = select(SourceFile).where(SourceFile.project_id == self.project.id)
            if language:
                query = query.where(SourceFile.language == language)
            return list(session.exec(query.order_by(col(SourceFile.path))).all())

    def folders(self) -> list[str]:
        with self.store.session() as session:
            return sorted(self._folder_rows(session))

    def get(self, path: Path) -> SourceFile:
        relative = self._relative(path)
        with self.store.session() as session:
            row = self._tracked(session).get(relative)
        if row is None:
            raise NotFoundError(
                f"{relative} is not tracked in project {self.project.name!r}",
                f"Track it with `sector file add {path}`",
            )
        return row

    def remove(self, paths: list[Path]) -> FileReport:
        """Stop tracking files, or folders with the files under them; disk is not touched."""
        report = FileReport()
        wanted = [self._relative(path) for path in paths]
        with self.store.session() as session:
            known = self._tracked(session)
            folders = self._folder_rows(session)
            for relative in wanted:
                self._check_removable(relative, known, folders)
            for relative in wanted:
                for folder in [f for f in folders if _under(f, relative)]:
                    session.delete(folders.pop(folder))
                for path in [p for p in known if _under(p, relative)]:
                    session.delete(known.pop(path))
                    report.removed.append(path)
        return report

    def _check_removable(
        self, relative: str, known: dict[str, SourceFile], folders: dict[str, TrackedFolder]
    ) -> None:
        if not any(_under(p, relative) for p in known) and relative not in folders:
            raise NotFoundError(
                f"{relative} is not tracked in project {self.project.name!r}",
                "Run `sector file ls` to see tracked files",
            )
        holder = next((f for f in folders if _under(relative, f) and f != relative), None)
        if holder is not None:
            raise UsageError(
                f"{relative} is inside the tracked folder {holder}, so `sector file sync` "
                "would track it again",
                f"Add it to .sectorignore, or stop tracking the folder: `sector file rm {holder}`",
            )
