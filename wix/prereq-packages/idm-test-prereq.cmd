@echo off
rem Test prerequisite package for the end-to-end harness (docs/target-machine.md). It is bundled
rem only by a product config that lists the "IdmTestModule" prerequisite (the e2e test variant,
rem wix/prereq-packages/test-prerequisite.toml); the release config never does.
rem
rem Installs the "module" by writing the registry value its detection reads:
rem   HKLM\SOFTWARE\VMware, Inc.\IdmTestPrerequisite  Version = "1.0.0"  (64-bit view)
rem Arguments (like a real redistributable's, the first one wins):
rem   /quiet    install, exit 0
rem   /reboot   install, exit 3010 (success, restart required)
rem   /fail     change nothing, exit 1603
rem   /noop     change nothing, exit 0 (an installer that lies about success)
setlocal
set "KEY=HKLM\SOFTWARE\VMware, Inc.\IdmTestPrerequisite"
if /i "%~1"=="/fail" exit /b 1603
if /i "%~1"=="/noop" exit /b 0
reg add "%KEY%" /v Version /t REG_SZ /d 1.0.0 /f /reg:64 >nul
if errorlevel 1 exit /b 1
if /i "%~1"=="/reboot" exit /b 3010
exit /b 0
