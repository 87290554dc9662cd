"""Built-in zoo plugin: the training objectives of METHODS.md (F4 and Method P's SSIM/MS-SSIM).

Every loss is an ``nn.Module`` taking :class:`zoo_losses.base.LossInputs` and returning named
scalar terms with its own part weights applied.
"""
