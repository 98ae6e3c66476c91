"""Checkpoints: where training stands, saved to checkpoint.pt (in --checkpoint-dir), to go on after a stop."""

import os
from pathlib import Path

import torch

from distributed import from_main, gather, is_main, rank, unwrap, world_size
from paths import in_azure_ml_job, train_script


class Checkpoint:
    """Where training stands (epoch, step, steps taken, losses logged), kept in checkpoint_dir/checkpoint.pt."""

    def __init__(self, args, net, optimizer, loader, device):
        """Start afresh, or from where checkpoint.pt stopped: with --resume, and in Azure ML jobs (which restart)."""
        self.path = checkpoint_file(args)
        self.earlier = Path(args.resume_from) / self.path.name if getattr(args, "resume_from", None) else None
        self.net, self.optimizer, self.loader, self.device = net, optimizer, loader, device
        self.total_epochs, self.every, self.flags = args.epochs, args.checkpoint_every, args.flags
        self.epoch, self.step, self.steps, self.losses, self.partial = 0, 0, 0, [], 0.0
        if args.resume or in_azure_ml_job() or self.earlier:
            self.resume(asked=args.resume or bool(self.earlier))
        elif is_main() and self.path.is_file():
            print(self.note())  # a local run starts afresh unless asked: say how to go on with the stopped one

    def epochs(self):
        """Yield each epoch left to train (0-based) with the mini-batch it starts at: 0, or where a run stopped."""
        for epoch in range(self.epoch, self.total_epochs):
            yield epoch, self.step if epoch == self.epoch else 0

    def running_loss(self):
        """A sum of losses to start an epoch with, on the device: 0, or the stopped run's towards its next line."""
        running_loss = torch.zeros((), device=self.device)
        if self.partial:
            running_loss += self.partial
            self.partial = 0.0
        return running_loss

    def images(self):
        """How many images the epochs left train on, over all processes (fewer when resumed mid-epoch)."""
        per_rank = self.loader.per_rank * (self.total_epochs - self.epoch) - self.step * self.loader.batch_size
        return world_size() * per_rank

    def save_when_due(self, epoch, step, steps, losses, running_loss):
        """After mini-batch `step` of an epoch: save at the epoch's end, and every --checkpoint-every steps."""
        if step == len(self.loader) or (self.every and steps % self.every == 0):
            self.save(epoch, step, steps, losses, running_loss)

    def save(self, epoch, step, steps, losses, running_loss):
        """Save the state after `step` mini-batches of epoch `epoch` (0-based), `steps` in all; called on every rank."""
        running = gather(running_loss)  # each rank's partial sum towards its next loss line
        if not is_main():
            return
        state = {
            "model": unwrap(self.net).state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "epoch": epoch,
            "step": step,
            "steps": steps,
            "losses": list(losses),
            "running_loss": [value.item() for value in running],
            "loader": self.loader.state_dict(),
            "batches": len(self.loader),
            "world_size": world_size(),
            "rng_cpu": torch.get_rng_state(),
            "rng_cuda": torch.cuda.get_rng_state(self.device) if self.device.type == "cuda" else None,
            "flags": list(self.flags),
        }
        self.path.parent.mkdir(parents=True, exist_ok=True)
        partial = self.path.with_name(self.path.name + f".{os.getpid()}.partial")
        torch.save(state, partial)
        # A rename is atomic on a local disk, but a copy and a delete on a datastore mount (blobfuse): a kill there
        # can leave half a file. So the last checkpoint stays, as previous_file(), until the new one is in place;
        # read() takes the newer of the two that loads whole.
        if self.path.is_file():
            os.replace(self.path, previous_file(self.path))
        os.replace(partial, self.path)
        previous_file(self.path).unlink(missing_ok=True)  # the new one is whole: the one before it can go

    def resume(self, asked=True):
        """Restore the state in checkpoint.pt, if there is one, and go on from where it stopped."""
        found, state = read_checkpoint(self.path) if is_main() else (None, None)
        if found is not None and found != self.path:  # checkpoint.pt was cut off while written: drop it
            self.path.unlink(missing_ok=True)
        if state is None and self.earlier and is_main():  # none of its own yet: the earlier run's, only read
            found, state = read_checkpoint(self.earlier)
        state = from_main(state)  # other machines need not see rank 0's folder
        if state is None:
            if asked and is_main():
                also = f" or in {self.earlier.parent}" if self.earlier else ""
                print(f"No checkpoint at {self.path}{also} to resume from: this run starts afresh.")
            return
        epoch, step = state["epoch"], state["step"]
        if step == len(self.loader):
            epoch, step = epoch + 1, 0  # the epoch was finished: go on with a fresh order
        if (state["batches"], state["world_size"]) != (len(self.loader), world_size()):
            self.refuse(state, "is from a run with other data, --batch-size or number of processes")
        if (epoch, step) > (self.total_epochs, 0):
            self.refuse(state, f"stopped in epoch {state['epoch'] + 1}, past --epochs {self.total_epochs}")
        unwrap(self.net).load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        torch.set_rng_state(state["rng_cpu"])
        if state["rng_cuda"] is not None and self.device.type == "cuda":
            torch.cuda.set_rng_state(state["rng_cuda"], self.device)
        self.loader.load_state_dict(state["loader"], next_batch=step)
        self.epoch, self.step, self.steps, self.losses = epoch, step, state["steps"], state["losses"]
        self.partial = state["running_loss"][rank()] if step else 0.0
        if is_main():
            print(f"Resumed from {found}: epoch {state['epoch'] + 1}, step {state['step']} ({going_on(epoch, step)})")

    def read(self):
        """The state of the newest checkpoint that loads whole, or None when there is none."""
        return read_checkpoint(self.path)[1]

    def refuse(self, state, why):
        """Stop with the reason this run cannot go on from the checkpoint, and the fix."""
        raise SystemExit(
            f"error: {self.path} {why}. Fix: resume with that run's flags "
            f"({resume_command(state.get('flags'))}), or drop --resume to start afresh."
        )

    def note(self):
        """The line that says a stopped run left its checkpoint here, and how to go on with it instead."""
        try:
            state = self.read()
            where, flags = f" (stopped in epoch {state['epoch'] + 1}, step {state['step']})", state.get("flags")
        except Exception:  # unreadable: say what is known
            where, flags = "", None
        return (
            f"Note: {self.path} holds the checkpoint of an interrupted run{where}; this run starts afresh "
            f"and its checkpoints replace it. To go on with that run instead: {resume_command(flags)}"
        )

    def remove(self):
        """Delete the checkpoints once the run has finished and saved its outputs, so that a new run starts afresh."""
        if is_main():
            self.path.unlink(missing_ok=True)
            previous_file(self.path).unlink(missing_ok=True)


def previous_file(path):
    """Where the checkpoint before the last one is kept while the last one is written: checkpoint.previous.pt."""
    return path.with_name(path.stem + ".previous" + path.suffix)


def read_checkpoint(path):
    """The newest checkpoint at path that loads whole (path, else its previous_file()) and its state; (None, None)."""
    for candidate in (path, previous_file(path)):
        if candidate.is_file():
            try:
                return candidate, torch.load(candidate, map_location="cpu", weights_only=True)
            except Exception:  # cut off while written, or not a checkpoint at all (torch raises several kinds)
                continue
    return None, None


def going_on(epoch, step):
    """Where a resumed run goes on (epoch 0-based, step: the mini-batches of it done), in words."""
    if step == 0:
        return f"going on with epoch {epoch + 1}, from its start"
    return f"going on with epoch {epoch + 1} at mini-batch {step + 1}"


def checkpoint_file(args):
    """Where a run with these flags keeps its checkpoint: checkpoint.pt in --checkpoint-dir (the output folder)."""
    return Path(getattr(args, "checkpoint_dir", None) or args.output_dir) / "checkpoint.pt"


def stopped_note(args):
    """The one line a run stopped with Ctrl-C ends with: the checkpoint it keeps and the command to go on from it."""
    path, state = read_checkpoint(checkpoint_file(args))
    if state is None:
        return "Stopped (Ctrl-C) before the first checkpoint: nothing to resume; run the same command again to start."
    where = f"epoch {state['epoch'] + 1}, step {state['step']}"
    kept = f"Kept the last checkpoint, {_shown(path)} ({where})"
    return f"Stopped (Ctrl-C). {kept}; go on with: {resume_command(state.get('flags'))}"


def _shown(path):
    """path relative to the working directory when inside it, else as it is."""
    try:
        return Path(path).resolve().relative_to(Path.cwd().resolve()).as_posix()
    except ValueError:
        return str(path)


def resume_command(flags):
    """The command line that resumes a run of train.py with these flags (… when they are not known)."""
    words = ["…"] if flags is None else [_quoted(flag) for flag in flags]
    return " ".join(["python", train_script(), "--resume", *words])


def _quoted(text):
    """text as one word in a shell: as it is when plain, else in double quotes."""
    if text and all(c.isalnum() or c in "-_./:=,+@%" for c in text):
        return text
    return '"' + text.replace('"', '\\"') + '"'
