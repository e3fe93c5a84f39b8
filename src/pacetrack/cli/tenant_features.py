"""``pacetrack tenant features``: the operator's view and switch of a tenant's feature flags."""

from __future__ import annotations

from typing import Annotated

import typer

from pacetrack.services.tenant_features import (
    Feature,
    FeatureChange,
    TenantFeaturesOut,
    features_for_tenant,
    set_features,
)

COMMAND_LINE = "command line"
"""Who changed a flag from here, as the flag list shows it."""


def _lines(report: TenantFeaturesOut) -> list[str]:
    width = max(len(feature.name.value) for feature in report.features)
    lines = [f"Feature flags of {report.tenant}:"]
    for feature in report.features:
        state = "on " if feature.enabled else "off"
        how = "default" if feature.is_default else f"set by {feature.updated_by}"
        if feature.updated_at is not None:
            how += f" {feature.updated_at:%Y-%m-%d %H:%M} UTC"
        lines.append(f"  {feature.name.value:<{width}}  {state}  {feature.description} ({how})")
        if not feature.enabled and feature.in_use:
            lines.append("      existing configs keep working, still used by:")
            lines.extend(f"        {use.words}" for use in feature.in_use)
    return lines


def register(tenant_app: typer.Typer) -> None:
    from pacetrack.cli import open_container, run_service

    @tenant_app.command("features")
    def tenant_features(
        tenant: Annotated[str, typer.Argument(help="The tenant's slug")],
        enable: Annotated[
            list[Feature] | None, typer.Option(help="A flag to turn on; repeat for several")
        ] = None,
        disable: Annotated[
            list[Feature] | None, typer.Option(help="A flag to turn off; repeat for several")
        ] = None,
    ) -> None:
        """List every feature flag of a tenant and, for a disabled configuration family, the
        existing configs that use it; --enable and --disable change flags first."""
        container = open_container()
        try:
            if enable or disable:
                change = FeatureChange(tenant=tenant, enable=enable or [], disable=disable or [])
                report = run_service(
                    container, lambda uow: set_features(uow, change, updated_by=COMMAND_LINE)
                )
            else:
                report = run_service(
                    container, lambda uow: features_for_tenant(uow, tenant_slug=tenant)
                )
        finally:
            container.close()
        typer.echo("\n".join(_lines(report)))
