"""A project's tracked source files: add, list, show, remove, and sync with the disk."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from sqlmodel import Session, col, select

from sector_cli.errors import NotFoundError, UsageError
from sector_cli.plugins.detect import LanguageIndex
from sector_cli.store.engine import Store
from sector_cli.store.models import Project, SourceFile, TrackedFolder
from sector_cli.timeutil import utcnow
from sector_cli.workspace.scan import (
    FileFacts,
    NotSource,
    Skipped,
    read_facts,
    relative_to_root,
    scan_folder,
)


@dataclass
class FileReport:
    """What an add or a sync changed, path by path."""

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


class Files:
    """Operations on the files of one project."""

    def __init__(self, store: Store, project: Project, languages: LanguageIndex, max_size: int):
        self.store = store
        self.project = project
        self.root = Path(project.root)
        self.languages = languages
        self.max_size = max_size

    def _read(self, path: Path) -> FileFacts:
        return read_facts(self.root, path, self.languages, self.max_size)

    def _tracked(self, session: Session) -> dict[str, SourceFile]:
        query = select(SourceFile).where(SourceFile.project_id == self.project.id)
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

    def add(self, paths: list[Path]) -> FileReport:
        """Track files and folders. Every path is checked before anything is stored."""
        report = FileReport()
        single: list[FileFacts] = []
        folders: list[tuple[str, list[FileFacts]]] = []
        for path in (p.absolute() for p in paths):
            if path.is_dir():
                relative = relative_to_root(self.root, path)
                found, skipped = scan_folder(self.root, path, self.languages, self.max_size)
                folders.append((relative, found))
                report.skipped += skipped
            elif not path.exists() and not path.is_symlink():
                raise UsageError(f"{path} does not exist", "Check the path (`ls` it)")
            else:
                single.append(self._read(path))  # NotSource: refuse the whole command
        with self.store.session() as session:
            known = self._tracked(session)
            tracked_folders = self._folders(session)
            for relative, found in folders:
                if relative not in tracked_folders:
                    session.add(TrackedFolder(project_id=self.project.id or 0, path=relative))
                    tracked_folders.add(relative)
                    report.folders.append(relative)
                for facts in found:
                    self._record(session, known, facts, report)
            for facts in single:
                self._record(session, known, facts, report)
        return report

    def _folders(self, session: Session) -> set[str]:
        query = select(TrackedFolder.path).where(TrackedFolder.project_id == self.project.id)
        return set(session.exec(query).all())

    def tracked(self, language: str | None = None) -> list[SourceFile]:
        with self.store.session() as session:
            query = select(SourceFile).where(SourceFile.project_id == self.project.id)
            if language:
                query = query.where(SourceFile.language == language)
            return list(session.exec(query.order_by(col(SourceFile.path))).all())

    def folders(self) -> list[str]:
        with self.store.session() as session:
            return sorted(self._folders(session))

    def _relative(self, path: Path) -> str:
        return relative_to_root(self.root, path if path.is_absolute() else Path.cwd() / path)

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
            folders = {
                row.path: row
                for row in session.exec(
                    select(TrackedFolder).where(TrackedFolder.project_id == self.project.id)
                )
            }
            for relative in wanted:
                matched = [p for p in known if _under(p, relative)]
                if not matched and relative not in folders:
                    raise NotFoundError(
                        f"{relative} is not tracked in project {self.project.name!r}",
                        "Run `sector file ls` to see tracked files",
                    )
                for folder in [f for f in folders if _under(f, relative)]:
                    session.delete(folders.pop(folder))
                for path in matched:
                    session.delete(known.pop(path))
                    report.removed.append(path)
        return report

    def sync(self) -> FileReport:
        """Bring the records in line with the disk: edits, deletions, and new files inside
        tracked folders."""
        report = FileReport()
        with self.store.session() as session:
            known = self._tracked(session)
            for relative, row in list(known.items()):
                path = self.root / relative
                try:
                    self._record(session, known, self._read(path), report)
                except NotSource as exc:
                    report.skipped.append(Skipped(relative, exc.message))
                    session.delete(known.pop(relative))
                    report.removed.append(relative)
                except UsageError:  # gone from disk
                    session.delete(row)
                    known.pop(relative)
                    report.removed.append(relative)
            for folder in self._folders(session):
                found, skipped = scan_folder(
                    self.root, self.root / folder, self.languages, self.max_size
                )
                report.skipped += [s for s in skipped if s.path not in known]
                for facts in found:
                    if facts.path not in known:
                        self._record(session, known, facts, report)
        return report


def _under(path: str, prefix: str) -> bool:
    return prefix == "." or path == prefix or path.startswith(prefix.rstrip("/") + "/")
