"""TaskGroup: a named group of tasks. Task ids get the `group.` prefix (unless prefix_group_id=False),
and `group >> x` links the group's leaves (roots for `x >> group`) at the moment of the call."""
from __future__ import annotations

from typing import Any

from airflow._core import state
from airflow._core.dependencies import DependencyMixin
from airflow.exceptions import AirflowException, DuplicateTaskIdFound


class TaskGroup(DependencyMixin):
    def __init__(
        self,
        group_id: str | None,
        prefix_group_id: bool = True,
        parent_group: TaskGroup | None = None,
        dag: Any = None,
        default_args: dict[str, Any] | None = None,
        tooltip: str = "",
        ui_color: str = "CornflowerBlue",
        ui_fgcolor: str = "#000",
        add_suffix_on_collision: bool = False,
        group_display_name: str = "",
    ) -> None:
        self.prefix_group_id = prefix_group_id
        self.default_args = dict(default_args or {})
        self.tooltip = tooltip
        self.ui_color = ui_color
        self.ui_fgcolor = ui_fgcolor
        self.group_display_name = group_display_name
        self.children: dict[str, Any] = {}
        self.used_group_ids: set[str | None] = set()
        if group_id is None:
            # The root group of a DAG.
            if parent_group is not None:
                raise AirflowException("Root TaskGroup cannot have parent_group")
            self._group_id: str | None = None
            self.task_group: TaskGroup | None = None
            self.dag = dag
            return
        from airflow._core.keys import validate_group_key

        validate_group_key(group_id)
        dag, parent_group = state.placement(dag, parent_group)
        if dag is None:
            raise AirflowException(f"TaskGroup {group_id!r} must be created inside a DAG (or be given dag=)")
        self.dag = dag
        self.task_group = parent_group
        self._group_id = group_id
        if add_suffix_on_collision and self.group_id in parent_group.used_group_ids | set(dag.task_dict):
            base = group_id
            n = 1
            while True:
                self._group_id = f"{base}__{n}"
                if self.group_id not in parent_group.used_group_ids | set(dag.task_dict):
                    break
                n += 1
        full = self.group_id
        if full in dag._group_ids or full in dag.task_dict:
            raise DuplicateTaskIdFound(f"group_id '{full}' has already been added to the DAG")
        parent_group.used_group_ids.add(full)
        parent_group.children[full] = self
        dag._groups.append(self)
        dag._group_ids.add(full)
        self.default_args = {**parent_group.default_args, **self.default_args}

    @property
    def group_id(self) -> str | None:
        parent = self.task_group
        if parent is not None and parent.prefix_group_id and parent._group_id:
            return parent.child_id(self._group_id)  # type: ignore[arg-type]
        return self._group_id

    @property
    def is_root(self) -> bool:
        return self._group_id is None

    @property
    def label(self) -> str | None:
        return self._group_id

    @property
    def node_id(self) -> str | None:
        return self.group_id

    @property
    def parent_group(self) -> TaskGroup | None:
        return self.task_group

    def child_id(self, label: str) -> str:
        if self.prefix_group_id:
            group_id = self.group_id
            if group_id:
                return f"{group_id}.{label}"
        return label

    def _add_child(self, task: Any) -> None:
        self.children[task.task_id] = task

    def add(self, task: Any) -> Any:
        """Airflow's TaskGroup.add: put an existing task (of the same DAG) in this group."""
        self._add_child(task)
        task.task_group = self
        return task

    def get_child_by_label(self, label: str) -> Any:
        return self.children[self.child_id(label)]

    def __iter__(self) -> Any:
        return iter(self.children.values())

    def iter_tasks(self) -> Any:
        for child in self.children.values():
            if isinstance(child, TaskGroup):
                yield from child.iter_tasks()
            else:
                yield child

    def _task_ids(self) -> set[str]:
        return {t.task_id for t in self.iter_tasks()}

    def _dep_roots(self) -> list[Any]:
        ids = self._task_ids()
        return [t for t in self.iter_tasks() if not (t.upstream_task_ids & ids)]

    def _dep_leaves(self) -> list[Any]:
        """Airflow's rule: tasks without a downstream inside the group; a teardown in that place stands
        for the work before it (its non-setup upstreams that feed nothing else in the group)."""
        tasks = list(self.iter_tasks())
        ids = {t.task_id for t in tasks}
        by_id = {t.task_id: t for t in tasks}

        def feeds_other_work(task: Any, exclude: str) -> bool:
            return any(d != exclude and d in ids and not by_id[d].is_teardown for d in task.downstream_task_ids)

        def work_before(teardown: Any) -> Any:
            for up_id in sorted(teardown.upstream_task_ids):
                up = by_id.get(up_id)
                if up is None:
                    continue
                if up.is_teardown:
                    yield from work_before(up)
                elif teardown.is_teardown and up.is_setup:
                    continue
                elif not feeds_other_work(up, teardown.task_id):
                    yield up

        leaves: list[Any] = []
        for task in tasks:
            if task.downstream_task_ids.isdisjoint(ids):
                for leaf in ([task] if not task.is_teardown else work_before(task)):
                    if leaf not in leaves:
                        leaves.append(leaf)
        return leaves

    def get_roots(self) -> list[Any]:
        return self._dep_roots()

    def get_leaves(self) -> list[Any]:
        return self._dep_leaves()

    def __enter__(self) -> TaskGroup:
        state.group_stack.append(self)
        return self

    def __exit__(self, *exc: Any) -> None:
        if state.group_stack and state.group_stack[-1] is self:
            state.group_stack.pop()

    def expand(self, **kwargs: Any) -> Any:
        from airflow_serverless.errors import NotYetSupported

        raise NotYetSupported("dynamic task mapping of task groups (.expand)")

    def __repr__(self) -> str:
        return f"<TaskGroup: {self.group_id}>"
