"""The bundled department plugins. Each uses only ``cstool.api``, like an outside plugin."""
