"""Which OS user a task runs as (Mesos's `--switch_user`), decided before anything is launched.

The rules, in plain words:
1. The task's user is `CommandInfo.user`, or else `FrameworkInfo.user` (Mesos's order). With
   neither, it is the agent's own user.
2. With `--switch_user=false` every task runs as the agent's own user (as in Mesos).
3. A user that does not exist on this host fails the task (TASK_FAILED, one clear sentence).
4. Nothing runs as root unless asked twice: the framework names root (or runs as root with no
   user of its own), and the agent was started with `--allow_root_tasks`. Without the flag a
   task that would run as root fails; so does any task of an agent that itself runs as root
   with `--switch_user=false`, unless the flag is given. (With authorization, the master's
   `run_tasks` ACL decides which principals may ask for root; this flag stays the agent
   operator's own veto.)
5. An agent that does not run as root can only run tasks as itself; a task for another user
   fails saying so.

`TaskUser` carries what the containerizer needs: uid, gid, the supplementary groups are set by
`setpriv --init-groups`, and the sandbox is chowned to uid:gid.
"""

from __future__ import annotations

import os
import pwd
import shutil
from dataclasses import dataclass


class UserError(Exception):
    """The task cannot run as the user it asks for; the message says why, in one sentence."""


@dataclass(slots=True, frozen=True)
class TaskUser:
    name: str
    uid: int
    gid: int
    home: str
    switch: bool  # True: the task is started as this user (the agent's own user otherwise)

    def env(self) -> dict[str, str]:
        return {"USER": self.name, "LOGNAME": self.name, "HOME": self.home or "/"}


def _agent_user() -> pwd.struct_passwd | None:
    try:
        return pwd.getpwuid(os.geteuid())
    except KeyError:
        return None


def resolve_task_user(
    command_user: str, framework_user: str, switch_user: bool = True, allow_root: bool = False
) -> TaskUser:
    """The user a task runs as, by the rules above; UserError when it may not run."""
    me = _agent_user()
    my_uid = os.geteuid()
    my_name = me.pw_name if me is not None else str(my_uid)
    wanted = (command_user or framework_user or "").strip()
    if not switch_user or not wanted:
        if my_uid == 0 and not allow_root:
            why = (
                "--switch_user is off" if not switch_user
                else "neither CommandInfo.user nor FrameworkInfo.user names a user"
            )
            raise UserError(
                f"the task would run as root ({why}) and this agent runs root tasks only "
                "with --allow_root_tasks"
            )
        return TaskUser(
            my_name, my_uid, os.getegid(), me.pw_dir if me is not None else "/", switch=False
        )
    try:
        entry = pwd.getpwnam(wanted)
    except KeyError:
        raise UserError(f"user {wanted!r} does not exist on this agent") from None
    if entry.pw_uid == 0 and not allow_root:
        raise UserError(
            f"the task asks to run as {wanted!r} (uid 0) and this agent runs root tasks only "
            "with --allow_root_tasks"
        )
    if entry.pw_uid == my_uid:
        return TaskUser(entry.pw_name, entry.pw_uid, entry.pw_gid, entry.pw_dir, switch=False)
    if my_uid != 0:
        raise UserError(
            f"the agent runs as {my_name!r} and cannot start tasks as {wanted!r}: run the agent "
            "as root, or start it with --switch_user=false"
        )
    if shutil.which("setpriv") is None:
        raise UserError("cannot switch to the task's user: setpriv (util-linux) is not installed")
    return TaskUser(entry.pw_name, entry.pw_uid, entry.pw_gid, entry.pw_dir, switch=True)


def switch_argv(user: TaskUser, argv: list[str]) -> list[str]:
    """`argv` started as `user` (setpriv drops every capability with the uid change)."""
    if not user.switch:
        return argv
    setpriv = shutil.which("setpriv") or "setpriv"
    return [
        setpriv, f"--reuid={user.uid}", f"--regid={user.gid}", "--init-groups", "--", *argv,
    ]
