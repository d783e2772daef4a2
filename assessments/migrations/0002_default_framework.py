from django.db import migrations


def install(apps, schema_editor):
    """Every existing authority gets the default ten-element framework; new ones get it when created."""
    from assessments.domain import DEFAULT_FRAMEWORK
    from assessments.frameworks import parse_framework

    Authority = apps.get_model("authorities", "Authority")
    FrameworkVersion = apps.get_model("assessments", "FrameworkVersion")
    Element = apps.get_model("assessments", "Element")
    Descriptor = apps.get_model("assessments", "Descriptor")
    spec = parse_framework(DEFAULT_FRAMEWORK.read_bytes())
    for authority in Authority.objects.all():
        if FrameworkVersion.objects.filter(authority=authority, code=spec.code).exists():
            continue
        framework = FrameworkVersion.objects.create(
            authority=authority, code=spec.code, name=spec.name, description=spec.description,
            is_current=not FrameworkVersion.objects.filter(authority=authority, is_current=True).exists(),
        )
        for number, e in enumerate(spec.elements, start=1):
            element = Element.objects.create(framework=framework, number=number, code=e.code, title=e.title, guidance=e.guidance)
            for n, text in enumerate(e.descriptors, start=1):
                Descriptor.objects.create(element=element, number=n, text=text)


class Migration(migrations.Migration):
    dependencies = [("assessments", "0001_initial"), ("authorities", "0001_initial")]
    operations = [migrations.RunPython(install, migrations.RunPython.noop)]
