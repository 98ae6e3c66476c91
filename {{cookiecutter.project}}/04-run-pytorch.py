"""Train src/train.py on the compute cluster in the environment of .azureml/pytorch-env.yml (tutorial step 4)."""

from aml import arguments, preflight, submission


def main(argv=None):
    """Submit training (flags after -- go to train.py), or with --dry-run show what would be submitted."""
    args = arguments.submission_arguments(__doc__, argv)
    if args.logs:  # submit nothing: show a run's error
        return submission.show_logs(args)
    workspace = preflight.check(compute=args.compute, upload=True, workspace=not args.dry_run)
    job = submission.training_job(args)
    submission.submit(job, args, workspace)


if __name__ == "__main__":
    main()
